package flux

import (
	"fmt"
	"sort"
	"strings"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/instance"
)

// plan is every decision shared by the regions: which components, in
// which layer, with which tenant values.
type plan struct {
	spec     *instance.Spec
	cat      *catalog.Catalog
	comps    []*catalog.Blueprint // install order
	selected map[string]bool
	layer    map[string]Layer // release layer of each component
	regions  []*region
	registry string
	source   []byte // instance.yaml as written
	// imageVerification is Kyverno's action on unsigned images.
	imageVerification ImageVerification
	dbs               *[]database // cached by databases()
}

// region is one cluster and what it knows of its peer.
type region struct {
	instance.Region
	Index     int
	Cluster   string
	ClusterID int    // Cilium Cluster Mesh ID: the region's position + 1
	APIHost   string // private address of the first control plane
	Peer      *region
}

// Primary reports whether the region holds the primaries at install time
// (the first region listed); the failover controller moves them later.
func (r *region) Primary() bool { return r.Index == 0 }

// DefaultRegistry serves every pinned image under its upstream path when
// the instance has no mirror: OpenOva's public mirror of the catalog.
const DefaultRegistry = "ghcr.io/openova-io/mirror"

func newPlan(s *instance.Spec, cat *catalog.Catalog) (*plan, error) {
	selection := append(append([]string{}, s.Components...), s.Products...)
	comps, err := cat.Resolve(selection)
	if err != nil {
		return nil, fmt.Errorf("spec.components/spec.products: %w", err)
	}
	p := &plan{spec: s, cat: cat, comps: comps, selected: map[string]bool{}, layer: map[string]Layer{}, registry: DefaultRegistry, imageVerification: VerifyAudit}
	if s.Mirror.Registry != "" {
		p.registry = strings.TrimSuffix(s.Mirror.Registry, "/")
	}
	for _, b := range comps {
		p.selected[b.Name()] = true
		l := baseLayer(b)
		for _, d := range b.Spec.DependsOn {
			l = max(l, p.layer[d]) // dependencies come first in install order
		}
		p.layer[b.Name()] = l
	}
	if s.SupplyChain.ImageVerification == instance.VerifyEnforce {
		p.imageVerification = VerifyEnforce
	}
	if err := checkArchival(s); err != nil {
		return nil, err
	}
	if err := p.checkOverrides(); err != nil {
		return nil, err
	}
	for i, r := range s.Regions {
		p.regions = append(p.regions, &region{Region: r, Index: i, Cluster: s.Cluster(r),
			ClusterID: instance.ClusterMeshID(i), APIHost: instance.APIHost(i)})
	}
	if len(p.regions) == 2 {
		p.regions[0].Peer, p.regions[1].Peer = p.regions[1], p.regions[0]
	}
	return p, nil
}

func (p *plan) twoRegions() bool { return len(p.regions) == 2 }

func (p *plan) has(component string) bool { return p.selected[component] }

// delivered reports whether a component puts anything into a cluster
// (tools such as opentofu are used, not deployed).
func delivered(b *catalog.Blueprint) bool {
	return len(b.Spec.Delivery.Helm) > 0 || len(b.Spec.Delivery.Manifests) > 0
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortStrings(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// checkOverrides refuses overrides of a component the instance does not
// install: they would silently do nothing.
func (p *plan) checkOverrides() error {
	check := func(at string, o instance.Overrides) error {
		for _, c := range sortedKeys(o) {
			if !p.selected[c] {
				return fmt.Errorf("%s[%s]: %s is not installed by this instance; add it to spec.components or remove the override", at, c, c)
			}
		}
		return nil
	}
	if err := check("spec.overrides", p.spec.Overrides); err != nil {
		return err
	}
	for i, r := range p.spec.Regions {
		if err := check(fmt.Sprintf("spec.regions[%d].overrides", i), r.Overrides); err != nil {
			return err
		}
	}
	return nil
}
