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

func withValues(extra map[string]any) map[string]any {
	v := map[string]any{}
	for k, x := range goodValues {
		v[k] = x
	}
	for k, x := range extra {
		v[k] = x
	}
	return v
}

// The peer kubeconfig Secret is mounted read-only and passed as
// --peer-kubeconfig; without it neither appears.
func TestChartPeerKubeconfig(t *testing.T) {
	files, err := render(t, withValues(map[string]any{
		"peerKubeconfigSecret": map[string]any{"name": "hel1-kubeconfig", "key": "config"},
		"lagPrometheusURL":     "http://prometheus.monitoring:9090",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if _, errs := env.DryRunRendered(context.Background(), "openova-system", files); len(errs) > 0 {
		t.Fatal(errs)
	}
	dep := files["failover-controller/templates/deployment.yaml"]
	for _, want := range []string{"--peer-kubeconfig=/var/run/secrets/openova/peer/config", "secretName: hel1-kubeconfig",
		"mountPath: /var/run/secrets/openova/peer", "--lag-prometheus-url=http://prometheus.monitoring:9090"} {
		if !strings.Contains(dep, want) {
			t.Errorf("deployment lacks %q", want)
		}
	}
	files, err = render(t, goodValues)
	if err != nil {
		t.Fatal(err)
	}
	if dep := files["failover-controller/templates/deployment.yaml"]; strings.Contains(dep, "peer-kubeconfig") || strings.Contains(dep, "lag-prometheus-url") {
		t.Error("without peerKubeconfigSecret.name / lagPrometheusURL the deployment must not mention them")
	}
}

// With the readiness gate the probe is /ready and a Service selects the
// pod; a probe slower than the fence margin fails the render.
func TestChartReadinessGate(t *testing.T) {
	files, err := render(t, withValues(map[string]any{"readinessGate": map[string]any{"enabled": true}}))
	if err != nil {
		t.Fatal(err)
	}
	kinds, errs := env.DryRunRendered(context.Background(), "openova-system", files)
	if len(errs) > 0 || !kinds["Service"] {
		t.Fatal(errs)
	}
	dep := files["failover-controller/templates/deployment.yaml"]
	for _, want := range []string{"httpGet: {path: /ready, port: http}", "periodSeconds: 1", "failureThreshold: 1", "timeoutSeconds: 1", "--fence-margin=3s"} {
		if !strings.Contains(dep, want) {
			t.Errorf("deployment lacks %q", want)
		}
	}
	if svc := files["failover-controller/templates/ready-gate-service.yaml"]; !strings.Contains(svc, "name: failover-controller-ready") || !strings.Contains(svc, "publishNotReadyAddresses: false") {
		t.Errorf("ready gate Service:\n%s", svc)
	}

	_, err = render(t, withValues(map[string]any{"readinessGate": map[string]any{"enabled": true, "periodSeconds": 2, "failureThreshold": 1, "timeoutSeconds": 1}}))
	if err == nil || !strings.Contains(err.Error(), "must stay under timing.fenceMargin (3s)") {
		t.Errorf("probe of 3s against a 3s margin: got %v, want a render error naming timing.fenceMargin", err)
	}
	_, err = render(t, withValues(map[string]any{"readinessGate": map[string]any{"enabled": true},
		"timing": map[string]any{"renewInterval": "10s", "ttl": "30s", "retryTimeout": "10s", "fenceMargin": "2500ms"}}))
	if err == nil || !strings.Contains(err.Error(), "values.timing.fenceMargin") {
		t.Errorf("fenceMargin 2500ms with the gate: got %v, want an error asking for whole seconds", err)
	}

	files, err = render(t, goodValues)
	if err != nil {
		t.Fatal(err)
	}
	if dep := files["failover-controller/templates/deployment.yaml"]; !strings.Contains(dep, "httpGet: {path: /healthz, port: http}\n            periodSeconds: 5") {
		t.Error("without the gate the readiness probe must stay on /healthz")
	}
	if svc := strings.TrimSpace(files["failover-controller/templates/ready-gate-service.yaml"]); svc != "" {
		t.Errorf("without the gate no ready Service may render, got:\n%s", svc)
	}
}
