package catalystchart_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/manager"
	"github.com/openova-io/openova/internal/manager/web"
	"github.com/openova-io/openova/internal/testenv"
)

// The chart's RBAC is enough: the manager, impersonating the chart's
// ServiceAccount against a kube-apiserver enforcing RBAC, elects a leader,
// publishes Blueprints, writes PlatformInstance status, and the dashboard
// reads everything it shows.
func TestChartRBACSuffices(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := asServiceAccount(t, nil)

	pi := &platformv1.PlatformInstance{ObjectMeta: metav1.ObjectMeta{Name: "rbac"},
		Spec: platformv1.PlatformInstanceSpec{Tenant: "rbac", Regions: []string{"fsn"},
			Components: []platformv1.InstalledComponent{{Name: "keda", BlueprintVersion: "1.0.0"}}}}
	if err := env.Client.Create(ctx, pi); err != nil {
		t.Fatal(err)
	}
	mgr, cat, err := manager.Setup(cfg, manager.Options{MetricsAddr: "0", HealthAddr: "0", PublishBlueprints: true,
		LeaderElect: true, LeaderElectionNamespace: "catalyst", LeaderElectionID: "catalyst-manager"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var bps platformv1.BlueprintList
		got := &platformv1.PlatformInstance{}
		_ = env.Client.List(ctx, &bps)
		_ = env.Client.Get(ctx, client.ObjectKeyFromObject(pi), got)
		if len(bps.Items) == len(cat.Blueprints) && got.Status.ObservedGeneration == got.Generation && len(got.Status.Components) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("as the ServiceAccount: %d of %d Blueprints published, status %+v", len(bps.Items), len(cat.Blueprints), got.Status)
		}
		time.Sleep(100 * time.Millisecond)
	}
	h, err := web.New(web.Options{Reader: mgr.GetAPIReader(), Auth: web.TokenAuth{Token: "t"}, Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/components", "/api/v1/graph", "/api/v1/requests"} {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("Authorization", "Bearer t")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s as the ServiceAccount: %d %s", path, rec.Code, rec.Body)
		}
	}
}

// asServiceAccount applies the chart's ServiceAccount and RBAC, rendered
// with values, into namespace catalyst and returns a config that
// impersonates that ServiceAccount (RBAC enforced).
func asServiceAccount(t *testing.T, values map[string]any) *rest.Config {
	t.Helper()
	ctx := context.Background()
	files, err := render(t, values)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := testenv.DecodeRendered(files)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.EnsureNamespace(ctx, "catalyst"); err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		switch o.Object.GetKind() {
		case "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding":
			if err := env.Apply(ctx, o.Object); err != nil {
				t.Fatal(err)
			}
		}
	}
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:catalyst:catalyst"}
	return cfg
}
