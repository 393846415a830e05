package llmgatewaychart_test

import (
	"context"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/openova-io/openova/internal/llmgateway/config"
	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, func(e *testenv.Env) { env = e }) }

// The chart's objects are accepted by a real kube-apiserver, and the config
// it renders passes the gateway's own validation.
func TestChartRendersValidObjectsAndConfig(t *testing.T) {
	files, err := testenv.RenderChart(".", "llm-gateway", "llm-gateway", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	kinds, errs := env.DryRunRendered(context.Background(), "llm-gateway", files)
	for _, err := range errs {
		t.Error(err)
	}
	for _, k := range []string{"Deployment", "Service", "ServiceAccount", "ConfigMap", "PodDisruptionBudget"} {
		if !kinds[k] {
			t.Errorf("chart renders no %s", k)
		}
	}
	var cm struct{ Data map[string]string }
	if err := yaml.Unmarshal([]byte(files["llm-gateway/templates/configmap.yaml"]), &cm); err != nil {
		t.Fatal(err)
	}
	c, err := config.Parse([]byte(cm.Data["config.yaml"]))
	if err != nil {
		t.Fatalf("rendered config is invalid: %v\n%s", err, cm.Data["config.yaml"])
	}
	if c.Listen != ":8080" || c.AdminListen != ":9090" || c.Mode != config.ModeGateway || !c.Limits.Enabled {
		t.Fatalf("config %+v", c)
	}
	dep := files["llm-gateway/templates/deployment.yaml"]
	for _, want := range []string{"--config=/etc/llm-gateway/config.yaml", "checksum/config:", "readOnlyRootFilesystem: true", "containerPort: 9090"} {
		if !strings.Contains(dep, want) {
			t.Errorf("deployment lacks %q", want)
		}
	}
}

func TestChartRequiresModels(t *testing.T) {
	_, err := testenv.RenderChart(".", "llm-gateway", "llm-gateway", map[string]any{"config": map[string]any{"models": nil}})
	if err == nil || !strings.Contains(err.Error(), "values.config.models") {
		t.Fatalf("want an error naming values.config.models, got %v", err)
	}
}
