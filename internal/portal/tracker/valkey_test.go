package tracker_test

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/portal"
)

var helmReleaseGVR = schema.GroupVersionResource{Group: "helm.toolkit.fluxcd.io", Version: "v2", Resource: "helmreleases"}

// A Tier-1 Valkey request from pull request to Ready: its ready object is
// a HelmRelease, whose Ready condition alone makes the request ready (its
// pods cannot start without the users Secret they mount). Real Gitea and
// kube-apiserver; the test plays Flux (kustomize- and helm-controller).
func TestTier1ValkeyToReady(t *testing.T) {
	r := newRig(t)
	req := portal.Request{Blueprint: "valkey", Name: "sessions", Namespace: "payments",
		RequestedBy: "alice@bank.example", Groups: []string{"payments-devs"},
		Values: map[string]any{"tier": "tier-1", "size": "M"}}
	pr, err := r.svc.Submit(r.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if pr.Annotations[portal.AnnotationReady] != "helm.toolkit.fluxcd.io/v2 HelmRelease" || pr.Annotations[portal.AnnotationConnectionSecret] != "sessions-valkey-users" {
		t.Fatalf("annotations %v", pr.Annotations)
	}
	head, _, err := r.svc.Forge.Snapshot(r.ctx, r.repo, pr.Status.PullRequest.Branch)
	if err != nil {
		t.Fatal(err)
	}
	for _, region := range []string{"fsn", "hel"} {
		if m := string(head["clusters/"+region+"/requests/payments/sessions/manifests.yaml"]); !strings.Contains(m, "kind: HelmRelease") {
			t.Fatalf("the pull request's %s manifests lack the HelmRelease:\n%s", region, m)
		}
	}

	r.srv.Merge(t, r.repo, pr.Status.PullRequest.Number)
	got, _ := r.reconcile(pr.Name)
	r.expect(got, platformv1.PhaseMerged, "waiting for Flux")
	r.playFlux("payments", "sessions", got.Status.PullRequest.MergeCommit)
	got, _ = r.reconcile(pr.Name)
	r.expect(got, platformv1.PhaseApplied, "waiting for the operator")

	hr, err := env.Dynamic.Resource(helmReleaseGVR).Namespace("payments").Get(r.ctx, "sessions", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	hr.Object["status"] = map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "False", "reason": "InstallFailed",
		"message": "context deadline exceeded", "lastTransitionTime": r.clock.Format(time.RFC3339)}}}
	if hr, err = env.Dynamic.Resource(helmReleaseGVR).Namespace("payments").UpdateStatus(r.ctx, hr, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, _ = r.reconcile(pr.Name)
	r.expect(got, platformv1.PhaseApplied, "context deadline exceeded")

	hr.Object["status"] = map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "InstallSucceeded",
		"message": "Helm install succeeded", "lastTransitionTime": r.clock.Format(time.RFC3339)}}}
	if _, err := env.Dynamic.Resource(helmReleaseGVR).Namespace("payments").UpdateStatus(r.ctx, hr, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	got, _ = r.reconcile(pr.Name)
	r.expect(got, platformv1.PhaseReady, "Secret sessions-valkey-users")
	if got.Status.ConnectionSecret != "sessions-valkey-users" {
		t.Fatalf("connection secret %q", got.Status.ConnectionSecret)
	}
}
