package manager_test

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/manager"
)

// A component delivered by a Kustomization (raw manifests) takes its health
// from the conditions kustomize-controller sets; one Reconcile call, no
// manager, with an injected clock.
func TestKustomizationHealth(t *testing.T) {
	ctx := context.Background()
	gvr := schema.GroupVersionResource{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Resource: "kustomizations"}
	ks := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
		"metadata": map[string]any{"name": "coraza", "namespace": "default"},
		"spec": map[string]any{"interval": "10m", "prune": true, "path": "./clusters/fsn/platform/coraza",
			"sourceRef": map[string]any{"kind": "GitRepository", "name": "instance"}},
	}}
	if err := env.Client.Create(ctx, ks); err != nil {
		t.Fatal(err)
	}
	pi := &platformv1.PlatformInstance{ObjectMeta: metav1.ObjectMeta{Name: "kustomized"}, Spec: platformv1.PlatformInstanceSpec{
		Tenant: "kustomized", Regions: []string{"fsn1"},
		Components: []platformv1.InstalledComponent{{Name: "coraza", BlueprintVersion: "1.0.0", AppVersion: "0.5.0",
			Releases: []platformv1.ReleaseRef{{Kind: platformv1.KindKustomization, Name: "coraza", Namespace: "default"}}}}}}
	if err := env.Client.Create(ctx, pi); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_800_000_000, 0)
	r := &manager.Reconciler{Client: env.Client, Now: func() time.Time { return now }}
	check := func(ready string, want platformv1.Health) {
		t.Helper()
		got, err := env.Dynamic.Resource(gvr).Namespace("default").Get(ctx, "coraza", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got.Object["status"] = map[string]any{"observedGeneration": got.GetGeneration(), "conditions": []any{map[string]any{
			"type": "Ready", "status": ready, "reason": "ReconciliationSucceeded", "message": "Applied revision: main@sha1:0123",
			"observedGeneration": got.GetGeneration(), "lastTransitionTime": now.UTC().Format(time.RFC3339)}}}
		if _, err := env.Dynamic.Resource(gvr).Namespace("default").UpdateStatus(ctx, got, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		now = now.Add(time.Minute)
		if _, err := r.Reconcile(ctx, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(pi)}); err != nil {
			t.Fatal(err)
		}
		var back platformv1.PlatformInstance
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(pi), &back); err != nil {
			t.Fatal(err)
		}
		if back.Status.Health != want || back.Status.Components[0].RunningVersion != "0.5.0" {
			t.Errorf("Ready=%s: health %s version %q, want %s and the lock's 0.5.0", ready, back.Status.Health, back.Status.Components[0].RunningVersion, want)
		}
	}
	check("True", platformv1.HealthHealthy)
	check("False", platformv1.HealthDegraded)
	check("True", platformv1.HealthHealthy)
}
