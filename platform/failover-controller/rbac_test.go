package failovercontroller_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/catalog/catalogtest"
	"github.com/openova-io/openova/internal/failover/controller"
	portalrender "github.com/openova-io/openova/internal/portal/render"
	"github.com/openova-io/openova/internal/testenv"
)

// The chart's RBAC, applied for real and used through the controller's
// ServiceAccount (impersonated), lets the CNPG selector list Clusters in
// every namespace and actuate one in a team namespace, and nothing more
// than the rules say: the ServiceAccount cannot read Secrets outside its
// namespace nor delete a Cluster. Removing the Clusters rule fails it.
func TestChartRBACAllowsTheCNPGSelector(t *testing.T) {
	ctx := context.Background()
	files := applyChartRBAC(t)
	member := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(`
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: orders
  namespace: team-rbac
  labels: {failover.openova.io/follow: "true"}
spec:
  instances: 1
  storage: {size: 1Gi}
  replica: {primary: orders-fsn1, self: orders-fsn1, source: orders-hel1}
  externalClusters:
  - {name: orders-fsn1, connectionParameters: {host: orders-fsn1.team-rbac.svc}}
  - {name: orders-hel1, connectionParameters: {host: orders-hel1.team-rbac.svc}}
`), &member.Object); err != nil {
		t.Fatal(err)
	}
	if err := env.EnsureNamespace(ctx, "team-rbac"); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(ctx, member); err != nil {
		t.Fatal(err)
	}

	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:openova-system:failover-controller"}
	sa, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	fg := &failoverv1.FailoverGroup{ObjectMeta: metav1.ObjectMeta{Name: "bank", Namespace: "openova-system"}}
	fg.Spec.Layers.Stateful.CNPGSelector = &metav1.LabelSelector{MatchLabels: map[string]string{failoverv1.FollowActiveRegionLabel: "true"}}
	sel, err := controller.NewCNPGSelection(sa, sa, nil, fg, time.Second, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	// RBAC objects take effect asynchronously in the authorizer's cache.
	deadline := time.Now().Add(10 * time.Second)
	for {
		acts, err := sel.Resolve(ctx)
		if err == nil {
			if len(acts) != 1 || acts[0].Name() != "cnpg team-rbac/orders" {
				t.Fatalf("selected %v, want the one labelled Cluster", acts)
			}
			if err := acts[0].Deactivate(ctx, 1); err != nil {
				t.Fatalf("the chart's RBAC refuses an actuation: %v", err)
			}
			break
		}
		if !apierrors.IsForbidden(err) || time.Now().After(deadline) {
			t.Fatalf("the chart's RBAC refuses the selector's list of Clusters in every namespace: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := sa.Delete(ctx, member); !apierrors.IsForbidden(err) {
		t.Errorf("delete of a Cluster: got %v, want Forbidden (the controller only patches)", err)
	}
	var secrets unstructured.UnstructuredList
	secrets.SetAPIVersion("v1")
	secrets.SetKind("SecretList")
	if err := sa.List(ctx, &secrets, client.InNamespace("team-rbac")); !apierrors.IsForbidden(err) {
		t.Errorf("list of a team's Secrets: got %v, want Forbidden", err)
	}
	if rules := files["failover-controller/templates/rbac.yaml"]; !strings.Contains(rules, "resources: [clusters]") {
		t.Error("the ClusterRole no longer names CNPG clusters")
	}
}

// The chart's RBAC and the Role the portal renders with a Tier-1 Valkey
// let the Valkey selector list Services in every namespace and read that
// claim's users Secret, by name: before the Role is applied the Secret is
// refused (reported as the instance's problem, naming the fix), after it
// the instance is actuated, and another Secret of the team stays out of
// reach.
func TestChartRBACAndPortalRoleAllowTheValkeySelector(t *testing.T) {
	ctx := context.Background()
	applyChartRBAC(t)
	kind, _ := portalrender.Lookup("ValkeyClaim")
	bp, _ := catalogtest.Embedded(t).Blueprint("valkey")
	res, err := kind.Render(portalrender.Target{Tenant: "acme", Regions: []string{"fsn", "hel"}, Registry: "r.example"},
		portalrender.Claim{Name: "sessions", Namespace: "team-vk", Blueprint: bp,
			Values: map[string]any{"tier": "tier-1", "ha": true, "backup": "rdb", "networkProfile": "namespace", "size": "S", "evictionPolicy": "noeviction"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.EnsureNamespace(ctx, "team-vk"); err != nil {
		t.Fatal(err)
	}
	var grants []*unstructured.Unstructured
	for _, o := range res.Objects["fsn"] {
		u := &unstructured.Unstructured{Object: o}
		switch u.GetKind() {
		case "Service":
			if err := env.Client.Create(ctx, u); err != nil {
				t.Fatal(err)
			}
		case "Role", "RoleBinding":
			grants = append(grants, u)
		}
	}
	for _, name := range []string{"sessions-valkey-users", "other-team-secret"} {
		s := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret",
			"metadata": map[string]any{"name": name, "namespace": "team-vk"}, "stringData": map[string]any{"default": "pw"}}}
		if err := env.Client.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
	}

	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:openova-system:failover-controller"}
	sa, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	fg := &failoverv1.FailoverGroup{ObjectMeta: metav1.ObjectMeta{Name: "bank", Namespace: "openova-system"}}
	fg.Spec.Layers.Stateful.ValkeySelector = &metav1.LabelSelector{MatchLabels: map[string]string{failoverv1.FollowActiveRegionLabel: "true"}}
	sel, err := controller.NewValkeySelection(sa, sa, nil, fg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	resolve := func(want string) []failoverv1.SelectedValkey {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
			_, err := sel.Resolve(ctx)
			got := sel.Selected()
			if err == nil && len(got) == 1 && strings.Contains(got[0].Problem, want) && (want != "" || got[0].Problem == "") {
				return got
			}
			if time.Now().After(deadline) {
				t.Fatalf("resolve through the controller's ServiceAccount: %v, %+v; want one instance with problem %q", err, got, want)
			}
		}
	}
	resolve("may not read Secret team-vk/sessions-valkey-users")
	for _, g := range grants {
		if err := env.Client.Create(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	got := resolve("")
	if got[0].Name != "sessions-fsn" || got[0].PeerService != "sessions-hel" || got[0].Address != "sessions-fsn.team-vk.svc:6379" {
		t.Errorf("selected %+v", got[0])
	}
	other := &unstructured.Unstructured{}
	other.SetAPIVersion("v1")
	other.SetKind("Secret")
	if err := sa.Get(ctx, client.ObjectKey{Namespace: "team-vk", Name: "other-team-secret"}, other); !apierrors.IsForbidden(err) {
		t.Errorf("get of another Secret in the team's namespace: %v, want Forbidden", err)
	}
}

// applyChartRBAC applies the chart's ServiceAccount and RBAC objects (with
// the default values) in openova-system, as an install would.
func applyChartRBAC(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	files, err := render(t, goodValues)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := testenv.DecodeRendered(files)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.EnsureNamespace(ctx, "openova-system"); err != nil {
		t.Fatal(err)
	}
	for _, o := range objs {
		switch o.Object.GetKind() {
		case "ServiceAccount", "Role", "RoleBinding":
			o.Object.SetNamespace("openova-system")
		case "ClusterRole", "ClusterRoleBinding":
		default:
			continue
		}
		if err := env.Apply(ctx, o.Object); err != nil {
			t.Fatal(err)
		}
	}
	return files
}
