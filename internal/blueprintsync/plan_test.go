package blueprintsync

import (
	"strings"
	"testing"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/generate/flux"
)

func embedded(t testing.TB) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.Load(openova.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// The organisation synced by default is the one the generated
// GitRepositories of in-blueprint charts read from.
func TestDefaultOrgIsTheGeneratorsOrg(t *testing.T) {
	if DefaultOrg != flux.BlueprintGitOrg {
		t.Fatalf("DefaultOrg %q, generated instances read blueprints from %q", DefaultOrg, flux.BlueprintGitOrg)
	}
}

func TestPlanOfTheEmbeddedCatalog(t *testing.T) {
	cat := embedded(t)
	p, err := NewPlan(cat, DefaultOrg)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Repos) != len(cat.Blueprints)+len(cat.Products) || len(cat.Blueprints) != 52 || len(cat.Products) != 9 {
		t.Fatalf("%d repositories for %d blueprints and %d products", len(p.Repos), len(cat.Blueprints), len(cat.Products))
	}
	byName := map[string]Repo{}
	for _, r := range p.Repos {
		byName[r.Name] = r
	}
	cilium := byName["cilium"]
	if cilium.Kind != KindBlueprint || cilium.Tag != "v"+cilium.Version || cilium.Source != "platform/cilium" ||
		strings.Join(cilium.Paths(), ",") != "blueprint.yaml" {
		t.Fatalf("cilium: %+v %v", cilium, cilium.Paths())
	}
	// A chart shipped inside the blueprint sits at ./chart of its
	// repository, where the generated GitRepository's chart path points.
	gw := byName["llm-gateway"]
	if gw.Files["chart/Chart.yaml"] == nil || gw.Files["blueprint.yaml"] == nil {
		t.Fatalf("llm-gateway files: %v", gw.Paths())
	}
	axon := byName["product-axon"]
	if axon.Kind != KindProduct || axon.Tag != "" || strings.Join(axon.Paths(), ",") != "product.yaml" {
		t.Fatalf("product-axon: %+v %v", axon, axon.Paths())
	}
	if p.Repos[0].Kind != KindBlueprint || p.Repos[len(p.Repos)-1].Kind != KindProduct {
		t.Fatal("plan order: want blueprints, then products")
	}
}

func TestPlanRejectsBadOrg(t *testing.T) {
	cat := embedded(t)
	for _, org := range []string{"", "has space", "a/b", strings.Repeat("x", 41)} {
		if _, err := NewPlan(cat, org); err == nil || !strings.Contains(err.Error(), "--org") {
			t.Errorf("org %q: %v", org, err)
		}
	}
}
