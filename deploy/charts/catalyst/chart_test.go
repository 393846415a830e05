package catalystchart_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, func(e *testenv.Env) { env = e })
}

func render(t *testing.T, values map[string]any) (map[string]string, error) {
	t.Helper()
	return testenv.RenderChart(".", "catalyst", "catalyst", values)
}

// Every object the chart renders, read-only and with Gitea, an admin token
// and OIDC, is accepted by a real kube-apiserver.
func TestChartRendersValidObjects(t *testing.T) {
	ctx := context.Background()
	for _, values := range []map[string]any{
		{},
		{
			"gitea": map[string]any{"url": "http://gitea-http.gitea.svc:3000", "repository": "acme/instance",
				"tokenSecret": map[string]any{"name": "catalyst-gitea"}},
			"adminToken": map[string]any{"secretName": "catalyst-admin"},
			"oidc": map[string]any{"issuer": "https://id.acme.example.com", "clientID": "catalyst",
				"clientSecret": map[string]any{"name": "catalyst-oidc"}, "sessionKey": map[string]any{"name": "catalyst-session"}},
			"externalURL": "https://catalyst.acme.example.com",
			"networkPolicy": map[string]any{"from": []any{map[string]any{"namespaceSelector": map[string]any{
				"matchLabels": map[string]any{"kubernetes.io/metadata.name": "ingress"}}}},
				"apiServer": map[string]any{"cidrs": []any{"10.0.16.0/20"}}},
		},
	} {
		files, err := render(t, values)
		if err != nil {
			t.Fatal(err)
		}
		kinds, errs := env.DryRunRendered(ctx, "catalyst", files)
		for _, err := range errs {
			t.Error(err)
		}
		for _, k := range []string{"Deployment", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
			"Service", "PodDisruptionBudget", "NetworkPolicy"} {
			if !kinds[k] {
				t.Errorf("chart renders no %s", k)
			}
		}
		dep := files["catalyst/templates/deployment.yaml"]
		for _, want := range []string{"- manager", "--leader-elect", "--ui-addr=:8090", "runAsNonRoot: true", "readOnlyRootFilesystem: true"} {
			if !strings.Contains(dep, want) {
				t.Errorf("deployment lacks %q", want)
			}
		}
		gitea := values["gitea"] != nil
		if got := strings.Contains(dep, "--gitea-token-file=/var/run/secrets/catalyst/gitea/token"); got != gitea {
			t.Errorf("gitea flags rendered = %v, want %v", got, gitea)
		}
		if gitea && (!strings.Contains(dep, "--admin-token-file=") || !strings.Contains(dep, "secretKeyRef") || strings.Contains(dep, "value: catalyst-oidc")) {
			t.Errorf("admin token or OIDC secret not wired by reference:\n%s", dep)
		}
	}
}

// RBAC grants what the manager does; workloads are only read.
func TestChartRBAC(t *testing.T) {
	files, err := render(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	rbac := files["catalyst/templates/rbac.yaml"]
	for _, want := range []string{"resources: [platforminstances/status, blueprints/status]", "verbs: [get, list, watch, create, patch]",
		"resources: [helmreleases]", "resources: [kustomizations]", "resources: [leases]"} {
		if !strings.Contains(rbac, want) {
			t.Errorf("rbac lacks %q", want)
		}
	}
	for _, never := range []string{"delete", "'*'", "\"*\""} {
		if strings.Contains(rbac, never) {
			t.Errorf("rbac grants %q", never)
		}
	}
	// Core Secrets never (an ExternalSecret is not one).
	if regexp.MustCompile(`[\[ ]secrets[\],]`).MatchString(rbac) {
		t.Error("rbac grants secrets")
	}
	// Workloads are read (health counts their pods), never written.
	if want := "  - apiGroups: [apps]\n    resources: [deployments, statefulsets, daemonsets]\n    verbs: [get, list, watch]\n"; !strings.Contains(rbac, want) ||
		strings.Count(rbac, "apiGroups: [apps]") != 1 {
		t.Errorf("rbac: want exactly one apps rule, read-only:\n%s", want)
	}
}

func TestChartRequiresOIDCSecrets(t *testing.T) {
	_, err := render(t, map[string]any{"externalURL": "https://c.example.com",
		"oidc": map[string]any{"issuer": "https://id.example.com", "clientID": "c", "clientSecret": map[string]any{"name": "s"}}})
	if err == nil || !strings.Contains(err.Error(), "values.oidc.sessionKey.name") {
		t.Fatalf("got %v, want an error naming values.oidc.sessionKey.name", err)
	}
}

func TestChartRequiresGiteaToken(t *testing.T) {
	_, err := render(t, map[string]any{"gitea": map[string]any{"url": "http://gitea:3000", "repository": "acme/instance"}})
	if err == nil || !strings.Contains(err.Error(), "values.gitea.tokenSecret.name") {
		t.Fatalf("got %v, want an error naming values.gitea.tokenSecret.name", err)
	}
}

// The chart's CRDs are the generated ones (hack/generate.sh copies them).
func TestChartCRDsCurrent(t *testing.T) {
	want, _ := filepath.Glob("../../../api/crds/platform.openova.io_*.yaml")
	if len(want) != 3 {
		t.Fatalf("api/crds has %d platform CRDs", len(want))
	}
	for _, f := range want {
		a, _ := os.ReadFile(f)
		b, err := os.ReadFile(filepath.Join("crds", filepath.Base(f)))
		if err != nil || !bytes.Equal(a, b) {
			t.Errorf("crds/%s differs from api/crds: run hack/generate.sh", filepath.Base(f))
		}
	}
}
