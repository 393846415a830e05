// Package generate renders a customer's instance repository from their
// instance.yaml and the catalog, as an in-memory file tree: the same
// inputs always give a byte-identical tree. Writing the tree is
// filetree.Write's job.
//
// The tree is composed by renderers, each owning its directories. The
// renderers in Renderers run first, in order (the Flux tree, the
// bootstrap bundle, policies, README/CODEOWNERS/lock); the OpenTofu
// renderer runs last, because it delivers the files a renderer put under
// bootstrap/<cluster>/ to that cluster's first node.
package generate

import (
	"fmt"
	"strings"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/generate/flux"
	"github.com/openova-io/openova/internal/generate/terraform"
	"github.com/openova-io/openova/internal/instance"
)

// SpecFile is the instance spec at the root of the instance repository,
// copied byte for byte (comments included) from the source.
const SpecFile = "instance.yaml"

// BundleDir holds, per cluster, the Kubernetes manifests applied on the
// first control-plane node at boot: bootstrap/<cluster>/<file>.
const BundleDir = "bootstrap"

// Input is what every renderer receives.
type Input struct {
	Instance *instance.Instance // defaulted and validated
	Source   []byte             // instance.yaml as written by the customer
	Catalog  *catalog.Catalog
}

// Renderer adds its part of the instance tree.
type Renderer interface {
	// Name names the renderer in errors.
	Name() string
	Render(in *Input, t *filetree.Tree) error
}

// Renderers run before the OpenTofu renderer, in order. Other packages
// register theirs here (one line each, from their own init or from the
// command wiring).
var Renderers = []Renderer{fluxRenderer{}}

// fluxRenderer renders clusters/, bootstrap/, README.md, CODEOWNERS and
// the lock (package flux).
type fluxRenderer struct{}

func (fluxRenderer) Name() string { return "flux" }
func (fluxRenderer) Render(in *Input, t *filetree.Tree) error {
	return flux.Render(in.Instance, in.Source, in.Catalog, t)
}

// Generate validates the spec against the catalog and renders the tree.
// A spec that breaks rules returns *instance.ValidationError.
func Generate(spec []byte, cat *catalog.Catalog) (*filetree.Tree, error) {
	in, err := instance.Check(spec, instance.NewCatalog(cat.Blueprints, cat.Products))
	if err != nil {
		return nil, err
	}
	input := &Input{Instance: in, Source: spec, Catalog: cat}
	t := filetree.New()
	if err := t.Add(SpecFile, spec); err != nil {
		return nil, err
	}
	for _, r := range Renderers {
		if err := r.Render(input, t); err != nil {
			return nil, fmt.Errorf("render %s: %w", r.Name(), err)
		}
	}
	cilium, err := ciliumChart(cat)
	if err != nil {
		return nil, err
	}
	err = terraform.Render(terraform.Input{Spec: &in.Spec, CiliumChart: cilium, Bundles: bundles(t)}, t)
	if err != nil {
		return nil, fmt.Errorf("render terraform: %w", err)
	}
	return t, nil
}

func ciliumChart(cat *catalog.Catalog) (string, error) {
	b, ok := cat.Blueprint("cilium")
	if !ok {
		return "", fmt.Errorf("catalog has no cilium blueprint: every cluster boots with Cilium as its CNI")
	}
	for _, h := range b.Spec.Delivery.Helm {
		if h.Chart == "cilium" {
			return h.Version, nil
		}
	}
	return "", fmt.Errorf("%s/%s: no Helm chart named cilium under spec.delivery.helm", b.Dir, catalog.BlueprintFile)
}

// bundles collects bootstrap/<cluster>/<file> from the tree.
func bundles(t *filetree.Tree) map[string]map[string][]byte {
	out := map[string]map[string][]byte{}
	for _, p := range t.Under(BundleDir) {
		rest := strings.TrimPrefix(p, BundleDir+"/")
		cluster, file, ok := strings.Cut(rest, "/")
		if !ok {
			continue
		}
		if out[cluster] == nil {
			out[cluster] = map[string][]byte{}
		}
		data, _ := t.Get(p)
		out[cluster][strings.ReplaceAll(file, "/", "_")] = data
	}
	return out
}
