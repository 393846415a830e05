package portal

import (
	"sort"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/portal/render"
)

// An Offering is an à la carte blueprint with a thin claim, as the portal
// lists it.
type Offering struct {
	Blueprint   string
	Title       string
	Description string
	Category    string
	ClaimKind   string
	// Schema is the claim's JSON Schema (draft 2020-12).
	Schema map[string]any
	// Advanced says what the Advanced lane's raw fields are merged into.
	Advanced catalog.Advanced
}

// titles are the portal's names of the offerings it knows how to render;
// the journey speaks of "Tier-1 Postgres", not of cnpg.
var titles = map[string]string{"PostgresClaim": "PostgreSQL", "ValkeyClaim": "Valkey"}

// Offerings lists the à la carte blueprints that have a thin claim the
// portal can render (a claim it cannot turn into manifests would be a dead
// end), sorted by category then blueprint name.
func Offerings(cat *catalog.Catalog) []Offering {
	var out []Offering
	for _, b := range cat.Blueprints {
		if b.Spec.Tier != catalog.TierAlaCarte || b.Spec.Claim == nil {
			continue
		}
		if _, ok := render.Lookup(b.Spec.Claim.Kind); !ok {
			continue
		}
		title := titles[b.Spec.Claim.Kind]
		if title == "" {
			title = b.Name()
		}
		out = append(out, Offering{
			Blueprint: b.Name(), Title: title, Description: b.Spec.Purpose, Category: b.Spec.Category,
			ClaimKind: b.Spec.Claim.Kind, Schema: b.Spec.Claim.Schema, Advanced: b.Spec.Claim.Advanced,
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Category != out[j].Category {
			return out[i].Category < out[j].Category
		}
		return out[i].Blueprint < out[j].Blueprint
	})
	return out
}

func offering(cat *catalog.Catalog, blueprint string) (Offering, bool) {
	for _, o := range Offerings(cat) {
		if o.Blueprint == blueprint {
			return o, true
		}
	}
	return Offering{}, false
}
