package catalog

import (
	"fmt"
	"os"
	"sort"

	"github.com/spf13/cobra"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/cmd/cmdutil"
	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/iostreams"
)

// LintOptions are the inputs of `catalyst catalog lint`.
type LintOptions struct {
	IO     *iostreams.IOStreams
	Source source
	JSON   bool
}

// NewCmdLint returns `catalyst catalog lint`; runF replaces lintRun in tests.
func NewCmdLint(f *factory.Factory, runF func(*LintOptions) error) *cobra.Command {
	opts := &LintOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "lint",
		Short: "Check the catalog against its schemas and the rules of OPENOVA.md §1",
		Long: `Check every blueprint and product: the published JSON Schemas, unique names,
references, cycles, exact versions, OSI-approved licenses, the mandatory set,
removed components, DR of data services, thin claims, placeholders and chart
sources. Prints "file: field: message (fix: ...)" per problem and exits 3
when there is any.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return lintRun(opts)
		},
	}
	opts.Source.addFlags(cmd)
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the problems as JSON")
	return cmd
}

func lintRun(opts *LintOptions) error {
	var (
		ps  []catalog.Problem
		c   *catalog.Catalog
		err error
	)
	if opts.Source.Dir != "" {
		if st, serr := os.Stat(opts.Source.Dir); serr != nil || !st.IsDir() {
			return fmt.Errorf("--dir %s: not a directory: point it at a checkout of the openova repository", opts.Source.Dir)
		}
		ps, c, err = catalog.LintFS(os.DirFS(opts.Source.Dir))
	} else {
		ps, c, err = catalog.LintFS(opts.Source.fs())
	}
	if err != nil {
		return err
	}
	if opts.JSON {
		if err := writeJSON(opts.IO.Out, append([]catalog.Problem{}, ps...)); err != nil {
			return err
		}
	} else {
		for _, p := range ps {
			fmt.Fprintln(opts.IO.Out, p.String())
		}
	}
	if len(ps) > 0 {
		msg := fmt.Sprintf("catalog lint: %d problems", len(ps))
		if len(ps) == 1 {
			msg = "catalog lint: 1 problem"
		}
		return &cmdutil.FailedError{Msg: msg}
	}
	if !opts.JSON {
		fmt.Fprintf(opts.IO.Out, "catalog OK: %d components, %d products\n", len(c.Blueprints), len(c.Products))
	}
	return nil
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
