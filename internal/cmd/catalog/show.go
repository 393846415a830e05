package catalog

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/iostreams"
)

// ShowOptions are the inputs of `catalyst catalog show`.
type ShowOptions struct {
	IO      *iostreams.IOStreams
	Source  source
	Name    string
	Closure bool
	JSON    bool
}

// NewCmdShow returns `catalyst catalog show NAME`; runF replaces showRun in tests.
func NewCmdShow(f *factory.Factory, runF func(*ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show one component or product",
		Long: `Show one component or product. With --closure, also print the à la carte
components its dependencies pull in (the mandatory ones are always there).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return showRun(opts)
		},
	}
	opts.Source.addFlags(cmd)
	cmd.Flags().BoolVar(&opts.Closure, "closure", false, "print the à la carte components its dependencies pull in")
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON")
	return cmd
}

func showRun(opts *ShowOptions) error {
	c, err := opts.Source.load()
	if err != nil {
		return err
	}
	var roots []string
	if b, ok := c.Blueprint(opts.Name); ok {
		roots = []string{b.Name()}
	} else if p, ok := c.Product(opts.Name); ok {
		roots = p.Members()
	} else {
		return fmt.Errorf("%q is neither a component nor a product of the catalog (see `catalyst catalog list`)", opts.Name)
	}
	var pulls []string
	if opts.Closure {
		if pulls, err = alaCarteClosure(c, roots); err != nil {
			return err
		}
	}
	if b, ok := c.Blueprint(opts.Name); ok {
		return showComponent(opts, c, b, pulls)
	}
	p, _ := c.Product(opts.Name)
	return showProduct(opts, p, pulls)
}

// alaCarteClosure is the à la carte components that roots need and are not
// roots themselves.
func alaCarteClosure(c *catalog.Catalog, roots []string) ([]string, error) {
	deps, err := c.Closure(roots...)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, d := range deps {
		if b, _ := c.Blueprint(d); b.Spec.Tier != catalog.TierMandatory {
			out = append(out, d)
		}
	}
	return out, nil
}

func showComponent(opts *ShowOptions, c *catalog.Catalog, b *catalog.Blueprint, pulls []string) error {
	j := componentJSON(b, pulledInBy(c))
	if opts.JSON {
		out := struct {
			ComponentJSON
			Closure []string `json:"closure,omitempty"`
		}{j, pulls}
		return writeJSON(opts.IO.Out, out)
	}
	tier := j.Tier
	if j.Mandatory {
		tier = "mandatory (always installed)"
	}
	license := j.License
	if j.NetworkCopyleft {
		license += " — network copyleft (AGPL): offering it over a network obliges you to offer its source"
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "name:        %s\n", j.Name)
	fmt.Fprintf(w, "blueprint:   %s (%s)\n", j.Version, b.File())
	fmt.Fprintf(w, "category:    %s\n", j.Category)
	fmt.Fprintf(w, "tier:        %s\n", tier)
	fmt.Fprintf(w, "purpose:     %s\n", j.Purpose)
	fmt.Fprintf(w, "upstream:    %s %s (%s)\n", b.Spec.Upstream.Project, j.AppVersion, b.Spec.Upstream.Source)
	fmt.Fprintf(w, "license:     %s\n", license)
	fmt.Fprintf(w, "namespace:   %s\n", j.Namespace)
	fmt.Fprintf(w, "delivery:    %s\n", strings.Join(j.Delivery, "\n             "))
	fmt.Fprintf(w, "depends on:  %s\n", orNone(j.DependsOn))
	if len(j.PulledInBy) > 0 {
		fmt.Fprintf(w, "pulled in:   always, by %s\n", strings.Join(j.PulledInBy, ", "))
	}
	fmt.Fprintf(w, "DR:          %s\n", j.DR)
	if b.Spec.DR.Notes != "" {
		fmt.Fprintf(w, "             %s\n", b.Spec.DR.Notes)
	}
	if cl := b.Spec.Claim; cl != nil {
		props, _ := cl.Schema["properties"].(map[string]any)
		fmt.Fprintf(w, "claim:       %s (%s)\n", cl.Kind, strings.Join(sortedMapKeys(props), ", "))
	}
	if opts.Closure {
		fmt.Fprintf(w, "closure:     %s\n", orNone(pulls))
	}
	return nil
}

func showProduct(opts *ShowOptions, p *catalog.Product, pulls []string) error {
	j := productJSON(p)
	if opts.JSON {
		out := struct {
			ProductJSON
			Closure []string `json:"closure,omitempty"`
		}{j, pulls}
		return writeJSON(opts.IO.Out, out)
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "product:     %s (%s)\n", j.DisplayName, j.Name)
	fmt.Fprintf(w, "description: %s\n", j.Description)
	fmt.Fprintf(w, "components:  %s\n", productMembers(p))
	if len(j.OptionalComponents) > 0 {
		fmt.Fprintf(w, "optional:    %s\n", strings.Join(j.OptionalComponents, ", "))
	}
	for _, s := range j.Services {
		fmt.Fprintf(w, "service:     %s (%s) — %s\n", s.Name, s.State, s.Description)
	}
	if opts.Closure {
		fmt.Fprintf(w, "closure:     %s\n", orNone(pulls))
	}
	return nil
}

func orNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
