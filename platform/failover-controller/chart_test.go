package failovercontroller_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, func(e *testenv.Env) { env = e }) }

var goodValues = map[string]any{
	"region": "fsn1", "peerRegion": "hel1",
	"witness": map[string]any{
		"url": "https://witness.example.net", "leaseName": "shop",
		"credentialsSecret": map[string]any{"name": "witness-fsn1", "key": "token"},
	},
	"extraSecretNames": []any{"valkey-password"},
}

func render(t *testing.T, values map[string]any) (map[string]string, error) {
	t.Helper()
	return testenv.RenderChart("chart", "failover-controller", "openova-system", values)
}

// Every object the chart renders is accepted by a real kube-apiserver.
func TestChartRendersValidObjects(t *testing.T) {
	ctx := context.Background()
	files, err := render(t, goodValues)
	if err != nil {
		t.Fatal(err)
	}
	kinds, errs := env.DryRunRendered(ctx, "openova-system", files)
	for _, err := range errs {
		t.Error(err)
	}
	for _, k := range []string{"Deployment", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "Service"} {
		if !kinds[k] {
			t.Errorf("chart renders no %s", k)
		}
	}
	dep := files["failover-controller/templates/deployment.yaml"]
	for _, want := range []string{"runAsNonRoot: true", "readOnlyRootFilesystem: true", "drop: [ALL]", "--witness-url=https://witness.example.net", "--ttl=30s"} {
		if !strings.Contains(dep, want) {
			t.Errorf("deployment lacks %q", want)
		}
	}
	if strings.Contains(dep, "token:") {
		t.Error("the witness token must be mounted from its Secret, never rendered")
	}
}

// A missing required value fails the render with a message naming it.
func TestChartRequiresRegionAndWitness(t *testing.T) {
	_, err := render(t, map[string]any{"region": "fsn1"})
	if err == nil || !strings.Contains(err.Error(), "values.peerRegion") {
		t.Fatalf("render without peerRegion: got %v, want an error naming values.peerRegion", err)
	}
}

// The chart ships the CRD generated from api/failover/v1alpha1, unchanged
// (hack/generate.sh copies it).
func TestChartCRDIsGenerated(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	const f = "failover.openova.io_failovergroups.yaml"
	want, err := os.ReadFile(filepath.Join(root, "api", "crds", f))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join("chart", "crds", f))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("chart/crds is stale: run hack/generate.sh")
	}
}
