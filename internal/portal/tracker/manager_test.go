package tracker_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/portal/portaltest"
	"github.com/openova-io/openova/internal/portal/tracker"
)

// SetupWithManager as catalyst manager wires it: a running manager picks a
// new request up and moves it to Merged after the reviewer merges, on the
// real clock and the real events recorder.
func TestSetupWithManager(t *testing.T) {
	r := newRig(t)
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{Scheme: env.Scheme, Metrics: metricsserver.Options{BindAddress: "0"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := tracker.SetupWithManager(mgr, tracker.Deps{Forge: r.srv.Client(t), Repo: r.repo}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})

	req := portaltest.Tier1()
	req.Name = "managed-db"
	pr, err := r.svc.Submit(r.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	r.srv.Merge(t, r.repo, pr.Status.PullRequest.Number)
	key := types.NamespacedName{Namespace: portaltest.RequestsNamespace, Name: pr.Name}
	deadline := time.Now().Add(time.Minute)
	for {
		var got platformv1.PortalRequest
		if err := env.Client.Get(r.ctx, client.ObjectKey(key), &got); err != nil {
			t.Fatal(err)
		}
		if got.Status.Phase == platformv1.PhaseMerged && got.Status.PullRequest.MergeCommit != "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %s after a minute: %s", got.Status.Phase, got.Status.Message)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
