package manager

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

func TestWorkloadHealth(t *testing.T) {
	w := func(gen, observed int64, desired, ready, updated, available int32) Workload {
		return Workload{Kind: "Deployment", Namespace: "cert-manager", Name: "cert-manager-webhook", Generation: gen,
			ObservedGeneration: observed, Desired: desired, Ready: ready, Updated: updated, Available: available}
	}
	exceeded := w(2, 2, 2, 1, 1, 1)
	exceeded.DeadlineExceeded = true
	cases := map[string]struct {
		w    Workload
		want platformv1.Health
		msg  string
	}{
		"all ready":            {w(1, 1, 2, 2, 2, 2), platformv1.HealthHealthy, ""},
		"scaled to zero":       {w(1, 1, 0, 0, 0, 0), platformv1.HealthHealthy, ""},
		"spec not yet seen":    {w(3, 2, 2, 2, 2, 2), platformv1.HealthProgressing, "generation 3 not yet observed"},
		"rolling out":          {w(2, 2, 2, 2, 1, 2), platformv1.HealthProgressing, "rolling out, 1/2 updated"},
		"settled, pod unready": {w(1, 1, 2, 1, 2, 1), platformv1.HealthDegraded, "Deployment cert-manager/cert-manager-webhook: 1/2 ready"},
		"none ready":           {w(1, 1, 3, 0, 3, 0), platformv1.HealthDegraded, "0/3 ready"},
		"minReadySeconds":      {w(1, 1, 2, 2, 2, 1), platformv1.HealthProgressing, "1/2 available"},
		"deadline exceeded":    {exceeded, platformv1.HealthDegraded, "progress deadline exceeded, 1/2 ready"},
	}
	for name, c := range cases {
		got, msg := WorkloadHealth(c.w)
		if got != c.want || !strings.Contains(msg, c.msg) {
			t.Errorf("%s: %s %q, want %s containing %q", name, got, msg, c.want, c.msg)
		}
	}
}

func TestWorkloadReaders(t *testing.T) {
	meta := metav1.ObjectMeta{Namespace: "ns", Name: "x", Generation: 4}
	d := &appsv1.Deployment{ObjectMeta: meta, Status: appsv1.DeploymentStatus{ObservedGeneration: 4, ReadyReplicas: 1, UpdatedReplicas: 1,
		AvailableReplicas: 1, Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded"}}}}
	if got := DeploymentWorkload(d); got.Desired != 1 || !got.DeadlineExceeded || got.String() != "Deployment ns/x" {
		t.Errorf("Deployment without spec.replicas: %+v, want desired 1 (the default) and the deadline exceeded", got)
	}
	s := &appsv1.StatefulSet{ObjectMeta: meta, Spec: appsv1.StatefulSetSpec{Replicas: ptr.To[int32](3),
		UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}},
		Status: appsv1.StatefulSetStatus{ObservedGeneration: 4, ReadyReplicas: 3, AvailableReplicas: 3, UpdatedReplicas: 0}}
	if h, msg := WorkloadHealth(StatefulSetWorkload(s)); h != platformv1.HealthHealthy {
		t.Errorf("OnDelete StatefulSet with old pods: %s %q, want Healthy (pods are updated by hand)", h, msg)
	}
	ds := &appsv1.DaemonSet{ObjectMeta: meta, Status: appsv1.DaemonSetStatus{ObservedGeneration: 4, DesiredNumberScheduled: 3,
		NumberReady: 2, UpdatedNumberScheduled: 3, NumberAvailable: 2}}
	if h, msg := WorkloadHealth(DaemonSetWorkload(ds)); h != platformv1.HealthDegraded || msg != "DaemonSet ns/x: 2/3 ready" {
		t.Errorf("DaemonSet on 3 nodes, 2 ready: %s %q", h, msg)
	}
}

func TestOwnerOf(t *testing.T) {
	if k, ok := OwnerOf(map[string]string{HelmNameLabel: "cilium", HelmNamespaceLabel: "flux-system"}); !ok ||
		k != (Key{Kind: platformv1.KindHelmRelease, Namespace: "flux-system", Name: "cilium"}) {
		t.Errorf("helm labels: %v %t", k, ok)
	}
	if k, ok := OwnerOf(map[string]string{KustomizeNameLabel: "ferretdb", KustomizeNamespaceLabel: "flux-system"}); !ok || k.Kind != platformv1.KindKustomization {
		t.Errorf("kustomize labels: %v %t", k, ok)
	}
	if _, ok := OwnerOf(map[string]string{HelmNameLabel: "x"}); ok {
		t.Error("a name without a namespace is not an owner")
	}
}

// A HelmRelease Ready=True over a workload with unready pods is Degraded,
// and the component's message names the workload.
func TestEvaluateWorkloads(t *testing.T) {
	ref := platformv1.ReleaseRef{Name: "cert-manager", Namespace: "cert-manager"}
	spec := platformv1.PlatformInstanceSpec{Components: []platformv1.InstalledComponent{{Name: "cert-manager", BlueprintVersion: "1.0.0",
		AppVersion: "1.19.1", Releases: []platformv1.ReleaseRef{ref}}}}
	ready := []metav1.Condition{cond("Ready", "True", "InstallSucceeded", 1)}
	webhook := Workload{Kind: "Deployment", Namespace: "cert-manager", Name: "cert-manager-webhook", Generation: 1, ObservedGeneration: 1,
		Desired: 2, Ready: 1, Updated: 2, Available: 1}
	controller := Workload{Kind: "Deployment", Namespace: "cert-manager", Name: "cert-manager", Generation: 1, ObservedGeneration: 1,
		Desired: 1, Ready: 1, Updated: 1, Available: 1}
	for name, c := range map[string]struct {
		o    Observation
		want platformv1.Health
		msg  string
	}{
		"all ready":          {Observation{Found: true, Generation: 1, Conditions: ready, Workloads: []Workload{controller}}, platformv1.HealthHealthy, ""},
		"no workloads":       {Observation{Found: true, Generation: 1, Conditions: ready}, platformv1.HealthHealthy, ""},
		"one unready":        {Observation{Found: true, Generation: 1, Conditions: ready, Workloads: []Workload{controller, webhook}}, platformv1.HealthDegraded, "Deployment cert-manager/cert-manager-webhook: 1/2 ready"},
		"release installing": {Observation{Found: true, Generation: 1, Workloads: []Workload{webhook}}, platformv1.HealthDegraded, "HelmRelease cert-manager/cert-manager: not yet reconciled; Deployment cert-manager/cert-manager-webhook: 1/2 ready"},
		"release missing":    {Observation{Workloads: []Workload{webhook}}, platformv1.HealthMissing, "not found"},
	} {
		st := Evaluate(spec, map[Key]Observation{keyOf(ref): c.o}, nil)
		cs := st.Components[0]
		if cs.Health != c.want || !strings.Contains(cs.Message, c.msg) || st.Health != c.want {
			t.Errorf("%s: %s %q (platform %s), want %s containing %q", name, cs.Health, cs.Message, st.Health, c.want, c.msg)
		}
	}
}
