package manager

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/yaml"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/testenv"
)

// An operator installed after the manager started: its kind is watched
// from the next poll on, without a restart, and what a release applied of
// it counts. A second API server whose cert-manager CRD the test deletes
// before the manager starts, then installs again.
func TestReadyKindServedAfterStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e, stop, err := testenv.StartSecond()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	shared, err := testenv.SharedDir()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(shared, "crds", "cert-manager", "cert-manager.io_certificates.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: "certificates.cert-manager.io"}}
	if err := e.Client.Delete(ctx, crd); err != nil {
		t.Fatal(err)
	}
	served := func(want bool) {
		t.Helper()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			c, err := client.New(e.Config, client.Options{Scheme: e.Scheme})
			if err != nil {
				t.Fatal(err)
			}
			list := &unstructured.UnstructuredList{}
			list.SetAPIVersion("cert-manager.io/v1")
			list.SetKind("CertificateList")
			err = c.List(ctx, list)
			if (err == nil) == want && (want || apimeta.IsNoMatchError(err)) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("Certificates served = %t after 20 s (%v)", !want, err)
			}
		}
	}
	served(false)

	mgr, err := ctrl.NewManager(e.Config, ctrl.Options{Scheme: e.Scheme, Metrics: metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0", Cache: CacheOptions(), Controller: ctrlconfig.Controller{SkipNameValidation: ptr.To(true)}})
	if err != nil {
		t.Fatal(err)
	}
	if err := platformv1.AddToScheme(mgr.GetScheme()); err != nil {
		t.Fatal(err)
	}
	r := &Reconciler{Client: mgr.GetClient(), Now: time.Now}
	if err := r.SetupWithManager(mgr); err != nil {
		t.Fatal(err)
	}
	r.ready.poll = 200 * time.Millisecond
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	}()

	const ns = "late"
	if err := e.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	hr := &unstructured.Unstructured{}
	hr.SetGroupVersionKind(HelmReleaseGVK)
	hr.SetNamespace(ns)
	hr.SetName("api")
	hr.Object["spec"] = map[string]any{"interval": "10m", "chart": map[string]any{"spec": map[string]any{"chart": "api",
		"sourceRef": map[string]any{"kind": "HelmRepository", "name": "api"}}}}
	if err := e.Client.Create(ctx, hr); err != nil {
		t.Fatal(err)
	}
	hr.Object["status"] = map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "InstallSucceeded",
		"message": "Helm install succeeded", "observedGeneration": hr.GetGeneration(), "lastTransitionTime": "2026-01-01T00:00:00Z"}}}
	if err := e.Client.Status().Update(ctx, hr); err != nil {
		t.Fatal(err)
	}
	pi := &platformv1.PlatformInstance{ObjectMeta: metav1.ObjectMeta{Name: "late"}, Spec: platformv1.PlatformInstanceSpec{
		Tenant: "late", Regions: []string{"fsn1"}, Components: []platformv1.InstalledComponent{{Name: "api", BlueprintVersion: "1.0.0",
			Releases: []platformv1.ReleaseRef{{Name: "api", Namespace: ns}}}}}}
	if err := e.Client.Create(ctx, pi); err != nil {
		t.Fatal(err)
	}
	wait := func(what string, ok func(platformv1.ComponentStatus) bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			var got platformv1.PlatformInstance
			if err := e.Client.Get(ctx, client.ObjectKey{Name: "late"}, &got); err != nil {
				t.Fatal(err)
			}
			if len(got.Status.Components) == 1 && ok(got.Status.Components[0]) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not reached; status %+v", what, got.Status)
			}
		}
	}
	wait("healthy without cert-manager", func(c platformv1.ComponentStatus) bool { return c.Health == platformv1.HealthHealthy })

	// cert-manager is installed; the release applies a Certificate that
	// cannot be issued.
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(raw, &u.Object); err != nil {
		t.Fatal(err)
	}
	if err := e.Client.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	served(true)
	cert := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(`{apiVersion: cert-manager.io/v1, kind: Certificate, metadata: {name: api, namespace: late,
  labels: {helm.toolkit.fluxcd.io/name: api, helm.toolkit.fluxcd.io/namespace: late}},
  spec: {secretName: api-tls, dnsNames: [api.example.com], issuerRef: {name: le, kind: ClusterIssuer}}}`), &cert.Object); err != nil {
		t.Fatal(err)
	}
	if err := e.Client.Create(ctx, cert); err != nil {
		t.Fatal(err)
	}
	cert.Object["status"] = map[string]any{"conditions": []any{map[string]any{"type": "Ready", "status": "False", "reason": "DoesNotExist",
		"message": "Issuing certificate as Secret does not exist", "lastTransitionTime": "2026-01-01T00:00:00Z"}}}
	if err := e.Client.Status().Update(ctx, cert); err != nil {
		t.Fatal(err)
	}
	wait("degraded by the Certificate once its kind is served", func(c platformv1.ComponentStatus) bool {
		return c.Health == platformv1.HealthDegraded && strings.Contains(c.Message, "Certificate late/api: DoesNotExist")
	})
}
