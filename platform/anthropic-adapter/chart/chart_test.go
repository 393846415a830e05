package anthropicadapterchart_test

import (
	"context"
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, func(e *testenv.Env) { env = e }) }

func TestChartRendersValidObjects(t *testing.T) {
	files, err := testenv.RenderChart(".", "anthropic-adapter", "anthropic-adapter", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	kinds, errs := env.DryRunRendered(context.Background(), "anthropic-adapter", files)
	for _, err := range errs {
		t.Error(err)
	}
	for _, k := range []string{"Deployment", "Service", "ServiceAccount", "PodDisruptionBudget"} {
		if !kinds[k] {
			t.Errorf("chart renders no %s", k)
		}
	}
	dep := files["anthropic-adapter/templates/deployment.yaml"]
	for _, want := range []string{"--mode=anthropic-adapter", "name: UPSTREAM_URL", `value: "http://llm-gateway.llm-gateway.svc/v1"`, "image: \"ghcr.io/openova-io/llm-gateway:"} {
		if !strings.Contains(dep, want) {
			t.Errorf("deployment lacks %q:\n%s", want, dep)
		}
	}
}
