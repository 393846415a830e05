package portal

import (
	"testing"

	"github.com/openova-io/openova/internal/portal/render"
)

// BenchmarkValidate is the per-submit cost of checking a request (schema
// compiled each time).
func BenchmarkValidate(b *testing.B) {
	cat, teams := testCatalog(b), testTeams(b)
	req := tier1()
	for b.Loop() {
		if errs := Validate(cat, teams, req); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

// BenchmarkRenderTier1 renders a two-region Tier-1 Postgres claim into its
// pull request's files.
func BenchmarkRenderTier1(b *testing.B) {
	k, _ := render.Lookup("PostgresClaim")
	o, _ := offering(testCatalog(b), "cnpg")
	values := withDefaults(o.Schema, tier1().Values)
	t := render.Target{Tenant: "acme", Regions: []string{"fsn", "hel"}, Registry: "ghcr.io/openova-io/mirror",
		ArchivalEndpoint: "https://s3.example", ArchivalBucket: "archive"}
	for b.Loop() {
		res, err := k.Render(t, render.Claim{Name: "orders-db", Namespace: "payments", Values: values})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := res.Files("payments", "orders-db"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRenderValkeyTier1 renders a two-region Tier-1 Valkey claim (the
// blueprint's values copied and filled per region) into its files.
func BenchmarkRenderValkeyTier1(b *testing.B) {
	cat := testCatalog(b)
	k, _ := render.Lookup("ValkeyClaim")
	o, _ := offering(cat, "valkey")
	bp, _ := cat.Blueprint("valkey")
	values := withDefaults(o.Schema, map[string]any{"tier": "tier-1", "size": "M"})
	t := render.Target{Tenant: "acme", Regions: []string{"fsn", "hel"}, Registry: "ghcr.io/openova-io/mirror"}
	for b.Loop() {
		res, err := k.Render(t, render.Claim{Name: "sessions", Namespace: "payments", Values: values, Blueprint: bp})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := res.Files("payments", "sessions"); err != nil {
			b.Fatal(err)
		}
	}
}
