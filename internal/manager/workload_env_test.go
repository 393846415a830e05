package manager_test

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/manager"
)

// A HelmRelease that helm-controller reports Ready is not enough: the
// manager finds the Deployment the release installed by helm-controller's
// origin labels, and while its pods are not all ready the component is
// Degraded with a message naming it; once they are, Healthy. No
// kube-controller-manager runs here, so the test writes the Deployment's
// status as the Deployment controller would.
func TestHealthFromWorkloads(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := env.EnsureNamespace(ctx, "workloads"); err != nil {
		t.Fatal(err)
	}
	runReconciler(t, nil)

	bp := &platformv1.Blueprint{ObjectMeta: metav1.ObjectMeta{Name: "webhook"}, Spec: platformv1.BlueprintSpec{Version: "1.0.0", AppVersion: "1.0.0",
		Support: []platformv1.SupportRange{{Versions: "1.0.x", Status: platformv1.SupportSupported}}}}
	if err := env.Client.Create(ctx, bp); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(ctx, helmRelease("workloads", "webhook", "webhook", "1.0.0", nil)); err != nil {
		t.Fatal(err)
	}
	setStatus(t, "workloads", "webhook", release{ready: metav1.ConditionTrue, reason: "InstallSucceeded",
		message: "Helm install succeeded", chartVersion: "1.0.0", appVersion: "1.0.0"})
	pi := &platformv1.PlatformInstance{ObjectMeta: metav1.ObjectMeta{Name: "workloads"}, Spec: platformv1.PlatformInstanceSpec{
		Tenant: "workloads", Regions: []string{"fsn1"},
		Components: []platformv1.InstalledComponent{{Name: "webhook", BlueprintVersion: "1.0.0", AppVersion: "1.0.0",
			Releases: []platformv1.ReleaseRef{{Name: "webhook", Namespace: "workloads", ChartVersion: "1.0.0"}}}}}}
	if err := env.Client.Create(ctx, pi); err != nil {
		t.Fatal(err)
	}
	wait := func(what string, ok func(platformv1.ComponentStatus) bool) platformv1.ComponentStatus {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var got platformv1.PlatformInstance
			if err := env.Client.Get(ctx, client.ObjectKey{Name: "workloads"}, &got); err != nil {
				t.Fatal(err)
			}
			if c := component(got.Status, "webhook"); ok(c) {
				return c
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not reached; status is %+v", what, got.Status)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait("healthy before any workload", func(c platformv1.ComponentStatus) bool { return c.Health == platformv1.HealthHealthy })

	// helm-controller installs the Deployment with its origin labels.
	labels := map[string]string{"app": "webhook", manager.HelmNameLabel: "webhook", manager.HelmNamespaceLabel: "workloads"}
	dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "workloads", Name: "webhook-server", Labels: labels},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2), Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "webhook"}},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "webhook"}},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "webhook", Image: "registry.example/webhook:1.0.0"}}}}}}
	if err := env.Client.Create(ctx, dep); err != nil {
		t.Fatal(err)
	}
	// An unlabelled Deployment in the same namespace is not the release's.
	other := dep.DeepCopy()
	other.ResourceVersion, other.Name, other.Labels = "", "unrelated", map[string]string{"app": "webhook"}
	if err := env.Client.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	setDeploymentStatus := func(name string, ready int32) {
		t.Helper()
		var d appsv1.Deployment
		if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "workloads", Name: name}, &d); err != nil {
			t.Fatal(err)
		}
		d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: 2, UpdatedReplicas: 2,
			ReadyReplicas: ready, AvailableReplicas: ready}
		if err := env.Client.Status().Update(ctx, &d); err != nil {
			t.Fatal(err)
		}
	}
	setDeploymentStatus("webhook-server", 1)
	setDeploymentStatus("unrelated", 0)
	c := wait("degraded", func(c platformv1.ComponentStatus) bool { return c.Health == platformv1.HealthDegraded })
	if c.Message != "Deployment workloads/webhook-server: 1/2 ready" {
		t.Errorf("message %q, want it to name the unready Deployment and only it", c.Message)
	}
	var got platformv1.PlatformInstance
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "workloads"}, &got); err != nil {
		t.Fatal(err)
	}
	if r := condition(got.Status, platformv1.ConditionReady); r.Status != metav1.ConditionFalse || r.Reason != platformv1.ReasonComponentsFailing {
		t.Errorf("Ready = %s/%s, want False/ComponentsFailing", r.Status, r.Reason)
	}

	setDeploymentStatus("webhook-server", 2)
	c = wait("healthy", func(c platformv1.ComponentStatus) bool { return c.Health == platformv1.HealthHealthy })
	if c.Message != "" || c.Support != platformv1.SupportSupported {
		t.Errorf("healthy: message %q, support %s; want none and supported", c.Message, c.Support)
	}
}
