package instance

import (
	"sort"

	"github.com/openova-io/openova/internal/catalog"
)

// Catalog is what validation needs from the blueprint catalog: which
// component and product names exist, and which components are mandatory.
type Catalog struct {
	tiers    map[string]catalog.Tier
	products map[string]*catalog.Product
	releases map[string][]string // Helm release names by component
}

// NewCatalog indexes loaded blueprints and products.
func NewCatalog(blueprints []*catalog.Blueprint, products []*catalog.Product) *Catalog {
	c := &Catalog{tiers: map[string]catalog.Tier{}, products: map[string]*catalog.Product{}, releases: map[string][]string{}}
	for _, b := range blueprints {
		c.tiers[b.Name()] = b.Spec.Tier
		for _, h := range b.Spec.Delivery.Helm {
			c.releases[b.Name()] = append(c.releases[b.Name()], h.Release)
		}
	}
	for _, p := range products {
		c.products[p.Name()] = p
	}
	return c
}

// HasComponent reports whether name is a catalog component.
func (c *Catalog) HasComponent(name string) bool { _, ok := c.tiers[name]; return ok }

// HasProduct reports whether name is a catalog product.
func (c *Catalog) HasProduct(name string) bool { _, ok := c.products[name]; return ok }

// Releases returns the Helm release names of a component's charts.
func (c *Catalog) Releases(component string) []string { return c.releases[component] }

// ComponentNames returns every component name, sorted.
func (c *Catalog) ComponentNames() []string { return sortedKeys(c.tiers) }

// ProductNames returns every product name, sorted.
func (c *Catalog) ProductNames() []string { return sortedKeys(c.products) }

// AlaCarteNames returns the optional components, sorted.
func (c *Catalog) AlaCarteNames() []string {
	var out []string
	for n, t := range c.tiers {
		if t == catalog.TierAlaCarte {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
