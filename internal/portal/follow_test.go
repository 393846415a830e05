package portal_test

import (
	"context"
	"errors"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/portal"
	"github.com/openova-io/openova/internal/portal/portaltest"
)

// Follow pushes each change of a request until it is final, by a watch
// when the client can watch and by reading it again when it cannot (the
// fallback), against a real kube-apiserver.
func TestFollow(t *testing.T) {
	ctx := context.Background()
	const ns = "follow" // apart from TestSubmit's, which lists its namespace
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	teams, err := portal.LoadTeams([]byte(portaltest.TeamsYAML))
	if err != nil {
		t.Fatal(err)
	}
	watching, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	for name, kube := range map[string]client.Client{"watch": watching, "poll": env.Client} {
		t.Run(name, func(t *testing.T) {
			if _, ok := kube.(client.WithWatch); ok != (name == "watch") {
				t.Fatalf("%s: client.WithWatch = %v", name, ok)
			}
			svc := &portal.Service{Kube: kube, Namespace: ns, Teams: teams}
			pr := &platformv1.PortalRequest{ObjectMeta: metav1.ObjectMeta{Name: "payments.follow-" + name, Namespace: ns,
				Labels: map[string]string{portal.LabelNamespace: "payments", portal.LabelName: "follow-" + name}},
				Spec: platformv1.PortalRequestSpec{Blueprint: "valkey", RequestedBy: "alice@bank.example"}}
			if err := env.Client.Create(ctx, pr); err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Follow(ctx, []string{"risk"}, pr.Name, 0); !errors.Is(err, portal.ErrForbidden) {
				t.Fatalf("another team follows: %v, want ErrForbidden", err)
			}
			fctx, cancel := context.WithTimeout(ctx, time.Minute)
			defer cancel()
			updates, err := svc.Follow(fctx, []string{"payments-devs"}, pr.Name, 100*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			next := func() *platformv1.PortalRequest {
				t.Helper()
				got, open := <-updates
				if !open {
					t.Fatal("the stream ended early")
				}
				return &got
			}
			if got := next(); got.Status.Phase != "" {
				t.Fatalf("first: phase %q, want the request as it is (no phase yet)", got.Status.Phase)
			}
			for _, phase := range []platformv1.RequestPhase{platformv1.PhaseOpen, platformv1.PhaseMerged, platformv1.PhaseReady} {
				orig := pr.DeepCopy()
				pr.Status.Phase = phase
				if phase == platformv1.PhaseMerged {
					pr.Status.PullRequest = &platformv1.PullRequest{URL: "http://gitea/pr/1", Number: 1, Branch: "b", MergeCommit: "abc"}
				}
				if err := env.Client.Status().Patch(ctx, pr, client.MergeFrom(orig)); err != nil {
					t.Fatal(err)
				}
				if got := next(); got.Status.Phase != phase {
					t.Fatalf("after %s: got %s", phase, got.Status.Phase)
				}
			}
			if _, open := <-updates; open {
				t.Fatal("a Ready request's stream stays open")
			}
		})
	}
}
