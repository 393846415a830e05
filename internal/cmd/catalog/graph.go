package catalog

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/iostreams"
)

// GraphOptions are the inputs of `catalyst catalog graph`.
type GraphOptions struct {
	IO     *iostreams.IOStreams
	Source source
	Format string
}

// NewCmdGraph returns `catalyst catalog graph`; runF replaces graphRun in tests.
func NewCmdGraph(f *factory.Factory, runF func(*GraphOptions) error) *cobra.Command {
	opts := &GraphOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Print the dependency graph (Mermaid or Graphviz DOT)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return graphRun(opts)
		},
	}
	opts.Source.addFlags(cmd)
	cmd.Flags().StringVar(&opts.Format, "format", catalog.GraphMermaid, "output format: mermaid or dot")
	return cmd
}

func graphRun(opts *GraphOptions) error {
	c, err := opts.Source.load()
	if err != nil {
		return err
	}
	out, err := catalog.Graph(c, opts.Format)
	if err != nil {
		return err
	}
	_, err = fmt.Fprint(opts.IO.Out, out)
	return err
}
