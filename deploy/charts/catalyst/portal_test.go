package catalystchart_test

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/portal"
)

func portalValues() map[string]any {
	return map[string]any{
		"gitea": map[string]any{"url": "http://gitea-http.gitea.svc:3000", "repository": "acme/instance",
			"tokenSecret": map[string]any{"name": "catalyst-gitea"}},
		"oidc": map[string]any{"issuer": "https://id.acme.example.com", "clientID": "catalyst",
			"clientSecret": map[string]any{"name": "catalyst-oidc"}, "sessionKey": map[string]any{"name": "catalyst-session"}},
		"externalURL": "https://catalyst.acme.example.com",
		"portal": map[string]any{"enabled": true, "teams": []any{
			map[string]any{"name": "payments", "groups": []any{"payments-devs"}, "namespaces": []any{"payments", "payments-staging"}}}},
	}
}

// With the portal on, the teams ConfigMap is a file the portal itself
// accepts, mounted where the flag points, and every object passes dry-run.
func TestChartPortal(t *testing.T) {
	files, err := render(t, portalValues())
	if err != nil {
		t.Fatal(err)
	}
	_, errs := env.DryRunRendered(context.Background(), "catalyst", files)
	for _, err := range errs {
		t.Error(err)
	}
	var cm struct {
		Data map[string]string `json:"data"`
	}
	if err := yaml.Unmarshal([]byte(files["catalyst/templates/portal-teams.yaml"]), &cm); err != nil {
		t.Fatal(err)
	}
	teams, err := portal.LoadTeams([]byte(cm.Data["teams.yaml"]))
	if err != nil {
		t.Fatalf("rendered teams file refused by the portal: %v\n%s", err, cm.Data["teams.yaml"])
	}
	if !teams.Allows([]string{"payments-devs"}, "payments-staging") || teams.Allows([]string{"payments-devs"}, "risk") {
		t.Errorf("teams as rendered: %+v", teams)
	}
	dep := files["catalyst/templates/deployment.yaml"]
	for _, want := range []string{"--portal-teams-file=/etc/catalyst/portal/teams.yaml", "--portal-namespace=catalyst",
		"mountPath: /etc/catalyst/portal", "checksum/portal-teams:"} {
		if !strings.Contains(dep, want) {
			t.Errorf("deployment lacks %q", want)
		}
	}

	for name, v := range map[string]map[string]any{
		"no teams":  {"gitea": portalValues()["gitea"], "oidc": portalValues()["oidc"], "externalURL": "https://c.example", "portal": map[string]any{"enabled": true}},
		"no issuer": {"gitea": portalValues()["gitea"], "portal": portalValues()["portal"]},
	} {
		want := map[string]string{"no teams": "values.portal.teams", "no issuer": "values.portal.enabled"}[name]
		if _, err := render(t, v); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error naming %s", name, err, want)
		}
	}
}

// The portal and its tracker, as the chart's ServiceAccount on an API
// server enforcing RBAC: record a request in the release namespace, patch
// its status, read the CNPG Cluster and the Flux Kustomization behind it,
// and list the FailoverGroups.
// Reading a Secret stays forbidden.
func TestChartRBACCoversThePortal(t *testing.T) {
	ctx := context.Background()
	for _, ns := range []string{"payments", "flux-system"} {
		if err := env.EnsureNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	cfg := asServiceAccount(t, portalValues())
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = platformv1.AddToScheme(scheme)
	sa, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	pr := &platformv1.PortalRequest{ObjectMeta: metav1.ObjectMeta{Name: "payments.orders-db", Namespace: "catalyst"},
		Spec: platformv1.PortalRequestSpec{Blueprint: "cnpg", RequestedBy: "alice@bank.example"}}
	if err := sa.Create(ctx, pr); err != nil {
		t.Fatalf("create a PortalRequest as the ServiceAccount: %v", err)
	}
	orig := pr.DeepCopy()
	pr.Status.Phase = platformv1.PhaseOpen
	if err := sa.Status().Patch(ctx, pr, client.MergeFrom(orig)); err != nil {
		t.Fatalf("patch its status as the ServiceAccount: %v", err)
	}
	for _, gvk := range []struct{ apiVersion, kind, ns string }{
		{"postgresql.cnpg.io/v1", "Cluster", "payments"},
		{"kustomize.toolkit.fluxcd.io/v1", "Kustomization", "flux-system"},
	} {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion(gvk.apiVersion)
		u.SetKind(gvk.kind)
		err := sa.Get(ctx, client.ObjectKey{Namespace: gvk.ns, Name: "orders-db"}, u)
		if !apierrors.IsNotFound(err) {
			t.Errorf("get %s as the ServiceAccount: %v, want NotFound (allowed, absent)", gvk.kind, err)
		}
	}
	// The portal lists FailoverGroups to find the active region.
	fgs := &unstructured.UnstructuredList{}
	fgs.SetAPIVersion("failover.openova.io/v1alpha1")
	fgs.SetKind("FailoverGroupList")
	if err := sa.List(ctx, fgs); err != nil {
		t.Errorf("list FailoverGroups as the ServiceAccount: %v", err)
	}
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("v1")
	u.SetKind("Secret")
	if err := sa.Get(ctx, client.ObjectKey{Namespace: "payments", Name: "orders-db-app"}, u); !apierrors.IsForbidden(err) {
		t.Errorf("get a Secret as the ServiceAccount: %v, want Forbidden", err)
	}
}
