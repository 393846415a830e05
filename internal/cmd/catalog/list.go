package catalog

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/iostreams"
)

// ListOptions are the inputs of `catalyst catalog list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Source source
	JSON   bool
}

// NewCmdList returns `catalyst catalog list`; runF replaces listRun in tests.
func NewCmdList(f *factory.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List components by category and the products",
		Long: `List every component grouped by category, marking the mandatory ones (*)
and the AGPL ones (network copyleft: offering them as a service over a
network obliges the operator to offer their source), then the products.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return listRun(opts)
		},
	}
	opts.Source.addFlags(cmd)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print components and products as JSON")
	return cmd
}

// ComponentJSON is one component in `list --json` and `show --json`.
type ComponentJSON struct {
	Name            string   `json:"name"`
	Category        string   `json:"category"`
	Tier            string   `json:"tier"`
	Mandatory       bool     `json:"mandatory"`
	Version         string   `json:"version"`
	AppVersion      string   `json:"appVersion"`
	License         string   `json:"license"`
	NetworkCopyleft bool     `json:"networkCopyleft"`
	Purpose         string   `json:"purpose"`
	Namespace       string   `json:"namespace"`
	Delivery        []string `json:"delivery"`
	DependsOn       []string `json:"dependsOn"`
	PulledInBy      []string `json:"pulledInBy,omitempty"`
	DR              string   `json:"dr"`
	Claim           string   `json:"claim,omitempty"`
}

// ProductJSON is one product in `list --json` and `show --json`.
type ProductJSON struct {
	Name               string            `json:"name"`
	DisplayName        string            `json:"displayName"`
	Description        string            `json:"description"`
	AllComponents      bool              `json:"allComponents"`
	Components         []string          `json:"components"`
	OptionalComponents []string          `json:"optionalComponents"`
	Services           []catalog.Service `json:"services"`
}

func listRun(opts *ListOptions) error {
	c, err := opts.Source.load()
	if err != nil {
		return err
	}
	pulled := pulledInBy(c)
	if opts.JSON {
		out := struct {
			Components []ComponentJSON `json:"components"`
			Products   []ProductJSON   `json:"products"`
		}{Components: []ComponentJSON{}, Products: []ProductJSON{}}
		for _, b := range c.Blueprints {
			out.Components = append(out.Components, componentJSON(b, pulled))
		}
		for _, p := range c.Products {
			out.Products = append(out.Products, productJSON(p))
		}
		return writeJSON(opts.IO.Out, out)
	}
	w := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	for _, cat := range categories(c) {
		fmt.Fprintf(w, "%s\n", cat.name)
		for _, b := range cat.blueprints {
			mark := " "
			if b.Spec.Tier == catalog.TierMandatory {
				mark = "*"
			}
			var notes []string
			if catalog.IsNetworkCopyleft(b.Spec.Upstream.License) {
				notes = append(notes, "AGPL: network copyleft")
			}
			if by := pulled[b.Name()]; len(by) > 0 {
				notes = append(notes, "always installed: pulled in by "+strings.Join(by, ", "))
			}
			line := fmt.Sprintf("  %s %s\t%s\t%s", mark, b.Name(), b.Spec.Upstream.AppVersion, b.Spec.Upstream.License)
			if len(notes) > 0 { // the last cell is not padded: no trailing blanks
				line += "\t" + strings.Join(notes, "; ")
			}
			fmt.Fprintln(w, line)
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "\n%d components, %d mandatory (*). AGPL components are network copyleft: offering them over a network obliges you to offer their source.\n\nproducts\n",
		len(c.Blueprints), len(c.Mandatory()))
	for _, p := range c.Products {
		fmt.Fprintf(w, "  %s\t%s\t%s\n", p.Name(), p.Spec.DisplayName, productMembers(p))
	}
	return w.Flush()
}

func productMembers(p *catalog.Product) string {
	if p.Spec.AllComponents {
		return "all components (mandatory always, à la carte as chosen)"
	}
	parts := p.Members()
	for _, s := range p.Spec.Services {
		if s.Component == "" {
			parts = append(parts, s.Name+" (ours, "+string(s.State)+")")
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

type category struct {
	name       string
	blueprints []*catalog.Blueprint
}

// categories groups components by category (case-insensitively), in name
// order within and between groups.
func categories(c *catalog.Catalog) []category {
	idx := map[string]int{}
	var out []category
	for _, b := range c.Blueprints {
		key := strings.ToLower(b.Spec.Category)
		i, ok := idx[key]
		if !ok {
			i = len(out)
			idx[key] = i
			out = append(out, category{name: key})
		}
		out[i].blueprints = append(out[i].blueprints, b)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// pulledInBy maps each à la carte component that a mandatory one depends
// on (catalog.PulledIn) to those mandatory components.
func pulledInBy(c *catalog.Catalog) map[string][]string {
	out := map[string][]string{}
	for _, m := range c.Mandatory() {
		deps, err := c.Closure(m.Name())
		if err != nil {
			continue
		}
		for _, d := range deps {
			if b, ok := c.Blueprint(d); ok && b.Spec.Tier != catalog.TierMandatory {
				out[d] = append(out[d], m.Name())
			}
		}
	}
	return out
}

func componentJSON(b *catalog.Blueprint, pulled map[string][]string) ComponentJSON {
	j := ComponentJSON{
		Name: b.Name(), Category: b.Spec.Category, Tier: string(b.Spec.Tier),
		Mandatory: b.Spec.Tier == catalog.TierMandatory, Version: b.Spec.Version,
		AppVersion: b.Spec.Upstream.AppVersion, License: b.Spec.Upstream.License,
		NetworkCopyleft: catalog.IsNetworkCopyleft(b.Spec.Upstream.License),
		Purpose:         b.Spec.Purpose, Namespace: b.Spec.Namespace,
		Delivery: delivery(b), DependsOn: append([]string{}, b.Spec.DependsOn...),
		PulledInBy: pulled[b.Name()], DR: string(b.Spec.DR.Method),
	}
	if b.Spec.Claim != nil {
		j.Claim = b.Spec.Claim.Kind
	}
	return j
}

// delivery describes each delivery item in one short line.
func delivery(b *catalog.Blueprint) []string {
	out := []string{}
	d := b.Spec.Delivery
	for _, h := range d.Helm {
		where := h.Repository
		if where == "" {
			where = b.Dir + "/" + h.Path
		}
		out = append(out, fmt.Sprintf("helm %s %s from %s", h.Chart, h.Version, where))
	}
	for _, m := range d.Manifests {
		out = append(out, "manifest "+m)
	}
	if d.Tool != nil {
		for _, t := range append([]catalog.Tool{*d.Tool}, d.Tool.Extra...) {
			out = append(out, fmt.Sprintf("tool %s %s", t.Name, t.Version))
		}
	}
	if d.Model != nil {
		out = append(out, fmt.Sprintf("model %s@%s served by %s", d.Model.Name, d.Model.Revision, strings.Join(d.Model.ServedBy, ", ")))
	}
	return out
}

func productJSON(p *catalog.Product) ProductJSON {
	return ProductJSON{
		Name: p.Name(), DisplayName: p.Spec.DisplayName, Description: p.Spec.Description,
		AllComponents: p.Spec.AllComponents, Components: nonNil(p.Spec.Components),
		OptionalComponents: nonNil(p.Spec.OptionalComponents), Services: append([]catalog.Service{}, p.Spec.Services...),
	}
}

func nonNil(s []string) []string { return append([]string{}, s...) }
