package witnesschart_test

import (
	"context"
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, func(e *testenv.Env) { env = e }) }

func render(t *testing.T, values map[string]any) (map[string]string, error) {
	t.Helper()
	return testenv.RenderChart(".", "witness", "openova-witness", values)
}

// Every object the chart renders, with and without TLS and with network
// peers, is accepted by a real kube-apiserver.
func TestChartRendersValidObjects(t *testing.T) {
	ctx := context.Background()
	for _, values := range []map[string]any{
		{"credentialsSecret": map[string]any{"name": "witness-credentials"}},
		{
			"credentialsSecret": map[string]any{"name": "witness-credentials", "key": "creds.yaml"},
			"tls":               map[string]any{"secretName": "witness-tls"},
			"networkPolicy": map[string]any{"from": []any{
				map[string]any{"ipBlock": map[string]any{"cidr": "203.0.113.0/28"}},
			}},
		},
	} {
		files, err := render(t, values)
		if err != nil {
			t.Fatal(err)
		}
		kinds, errs := env.DryRunRendered(ctx, "openova-witness", files)
		for _, err := range errs {
			t.Error(err)
		}
		for _, k := range []string{"Deployment", "PersistentVolumeClaim", "Service", "ServiceAccount", "NetworkPolicy"} {
			if !kinds[k] {
				t.Errorf("chart renders no %s", k)
			}
		}
		dep := files["witness/templates/deployment.yaml"]
		for _, want := range []string{"replicas: 1", "type: Recreate", "runAsNonRoot: true", "readOnlyRootFilesystem: true",
			"drop: [ALL]", "--data-dir=/var/lib/witness", "--credentials-file=/etc/witness/credentials/", "claimName: witness"} {
			if !strings.Contains(dep, want) {
				t.Errorf("deployment lacks %q", want)
			}
		}
		if tls := strings.Contains(dep, "--tls-cert-file"); tls != (values["tls"] != nil) {
			t.Errorf("TLS flags rendered = %v, want %v", tls, values["tls"] != nil)
		}
	}
}

func TestChartRequiresCredentialsSecret(t *testing.T) {
	_, err := render(t, map[string]any{})
	if err == nil || !strings.Contains(err.Error(), "values.credentialsSecret.name") {
		t.Fatalf("got %v, want an error naming values.credentialsSecret.name", err)
	}
}
