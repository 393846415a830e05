package route

import (
	"math/rand/v2"
	"testing"

	"github.com/openova-io/openova/internal/llmgateway/config"
)

func cfg(t *testing.T) *config.Config {
	t.Helper()
	c, err := config.Parse([]byte(`
models:
- name: big
  deployments:
  - {url: "http://a:1", weight: 3}
  - {url: "http://b:1", weight: 1}
  - {url: "http://drained:1", weight: 0}
  fallbacks: [small]
- name: small
  deployments:
  - {url: "http://c:1"}
`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPlanWeightsDeploymentsThenFallsBack(t *testing.T) {
	c := cfg(t)
	m, _ := c.Model("big")
	r := rand.New(rand.NewPCG(1, 2))
	first := map[string]int{}
	const n = 20000
	for i := 0; i < n; i++ {
		p := Plan(c, m, 2, r.Float64)
		if len(p) != 6 {
			t.Fatalf("want 1+2 attempts on big then 1+2 on small, got %d", len(p))
		}
		first[p[0].Deployment.URL]++
		if p[0].Deployment.URL == p[1].Deployment.URL {
			t.Fatalf("retry went to the same deployment while another was free: %v", p)
		}
		if p[2].Deployment.URL != "http://drained:1" {
			t.Fatalf("zero-weight deployment must come last, got %s", p[2].Deployment.URL)
		}
		if p[3].Model.Name != "small" {
			t.Fatalf("fallback not tried last: %s", p[3].Model.Name)
		}
	}
	share := float64(first["http://a:1"]) / n
	if share < 0.72 || share > 0.78 {
		t.Fatalf("weight 3:1 should put ~75%% first on a, got %.3f", share)
	}
	if first["http://drained:1"] != 0 {
		t.Fatal("zero-weight deployment chosen first")
	}
}

func TestPlanNoRetries(t *testing.T) {
	c := cfg(t)
	m, _ := c.Model("small")
	p := Plan(c, m, 0, func() float64 { return 0 })
	if len(p) != 1 || p[0].Deployment.URL != "http://c:1" {
		t.Fatalf("got %+v", p)
	}
}

func TestRetryable(t *testing.T) {
	for code, want := range map[int]bool{200: false, 400: false, 401: false, 404: false, 429: true, 500: true, 502: true, 503: true, 504: true} {
		if Retryable(code) != want {
			t.Errorf("Retryable(%d) = %v", code, !want)
		}
	}
}
