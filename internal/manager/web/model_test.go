package web

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/manager"
)

func TestRequestPaths(t *testing.T) {
	reqs := Requests([]platformv1.PortalRequest{
		{ObjectMeta: metav1.ObjectMeta{Name: "a"}, Status: platformv1.PortalRequestStatus{Phase: platformv1.PhaseFailed,
			Reason: platformv1.ReasonApplyFailed, Message: "kustomize build failed"}},
		{ObjectMeta: metav1.ObjectMeta{Name: "b"}, Status: platformv1.PortalRequestStatus{Phase: platformv1.PhaseReady}},
		{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Status: platformv1.PortalRequestStatus{Phase: platformv1.PhaseFailed,
			Reason: platformv1.ReasonPullRequestClosed, Message: "closed by reviewer"}},
	})
	want := map[string][]string{
		"a": {"done", "done", "failed", "pending"},
		"b": {"done", "done", "done", "done"},
		"c": {"done", "failed", "pending", "pending"},
	}
	for _, r := range reqs {
		for i, s := range r.Steps {
			if s.State != want[r.Name][i] {
				t.Errorf("%s step %d (%s) is %s, want %s", r.Name, i, s.Name, s.State, want[r.Name][i])
			}
		}
	}
	if reqs[0].Steps[2].Note != "ApplyFailed: kustomize build failed" {
		t.Errorf("failure note %q", reqs[0].Steps[2].Note)
	}
}

// A dependency cycle (which Flux never starts) still lays out, and both
// members wait on each other rather than being blamed as the blocker.
func TestGraphCycleAndWaiting(t *testing.T) {
	ready := manager.Observation{Found: true, Generation: 1, Conditions: []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue, ObservedGeneration: 1}}}
	waiting := manager.Observation{Found: true, Generation: 1}
	g := BuildGraph([]FluxObject{
		{Kind: "HelmRelease", Namespace: "f", Name: "x", DependsOn: []string{"f/y"}, Observation: waiting},
		{Kind: "HelmRelease", Namespace: "f", Name: "y", DependsOn: []string{"f/x"}, Observation: waiting},
		{Kind: "HelmRelease", Namespace: "f", Name: "z", Observation: ready},
	}, nil)
	if len(g.Nodes) != 3 || len(g.Stuck) != 0 {
		t.Fatalf("graph %+v", g)
	}
	if g.Nodes[2].State != "Ready" || g.Nodes[0].State != "Reconciling" {
		t.Errorf("states %s %s", g.Nodes[2].State, g.Nodes[0].State)
	}
}

// A release Flux reports Ready over a Deployment with unready pods is
// Degraded in the graph, naming the Deployment, and is where the rollout
// is stuck; its dependant waits.
func TestGraphWorkloadNotReady(t *testing.T) {
	ready := []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue, ObservedGeneration: 1, Message: "Helm install succeeded"}}
	webhook := manager.Workload{Kind: "Deployment", Namespace: "cert-manager", Name: "cert-manager-webhook", Generation: 1, ObservedGeneration: 1,
		Desired: 2, Ready: 1, Updated: 2, Available: 1}
	g := BuildGraph([]FluxObject{
		{Kind: "HelmRelease", Namespace: "f", Name: "cert-manager", Observation: manager.Observation{Found: true, Generation: 1, Conditions: ready,
			Workloads: []manager.Workload{webhook}}},
		{Kind: "HelmRelease", Namespace: "f", Name: "trust-manager", DependsOn: []string{"f/cert-manager"},
			Observation: manager.Observation{Found: true, Generation: 1}},
	}, nil)
	n := g.Nodes[0]
	if n.State != "Degraded" || n.Message != "Deployment cert-manager/cert-manager-webhook: 1/2 ready" {
		t.Errorf("node %s: %s %q, want Degraded naming the Deployment", n.Name, n.State, n.Message)
	}
	if len(g.Stuck) != 1 || g.Stuck[0] != "f/cert-manager" {
		t.Errorf("stuck at %v, want f/cert-manager", g.Stuck)
	}
	webhook.Ready, webhook.Available = 2, 2
	g = BuildGraph([]FluxObject{{Kind: "HelmRelease", Namespace: "f", Name: "cert-manager",
		Observation: manager.Observation{Found: true, Generation: 1, Conditions: ready, Workloads: []manager.Workload{webhook}}}}, nil)
	if n := g.Nodes[0]; n.State != "Ready" || n.Message != "Helm install succeeded" {
		t.Errorf("all pods ready: %s %q, want Ready with Flux's message", n.State, n.Message)
	}
}
