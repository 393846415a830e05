// Package diff is `catalyst diff`: preview what generate would change in
// an instance repository, as a unified diff.
package diff

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/cmd/validate"
	"github.com/openova-io/openova/internal/filetree"
	gen "github.com/openova-io/openova/internal/generate"
	"github.com/openova-io/openova/internal/iostreams"
)

// Options are the flags and argument of diff.
type Options struct {
	IO         *iostreams.IOStreams
	File       string
	CatalogDir string
	Dir        string
	Stat       bool
}

// NewCmdDiff returns the command; runF replaces the run in tests.
func NewCmdDiff(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "diff -f instance.yaml DIR",
		Short: "Preview what generate would change in DIR, without writing",
		Args:  cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Dir = args[0]
			if runF != nil {
				return runF(opts)
			}
			return diffRun(opts)
		},
	}
	validate.AddInputFlags(cmd, &opts.File, &opts.CatalogDir)
	cmd.Flags().BoolVar(&opts.Stat, "stat", false, "list changed paths only")
	return cmd
}

func diffRun(opts *Options) error {
	spec, _, cat, err := validate.Load(opts.File, opts.CatalogDir)
	if err != nil {
		return err
	}
	tree, err := gen.Generate(spec, cat)
	if err != nil {
		return err
	}
	c, err := filetree.Diff(tree, opts.Dir)
	if err != nil {
		return err
	}
	if opts.Stat {
		err = c.WriteStat(opts.IO.Out)
	} else {
		err = filetree.WriteUnified(opts.IO.Out, tree, opts.Dir, c)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "%d to add, %d to modify, %d to remove, %d unchanged\n",
		len(c.Added), len(c.Modified), len(c.Removed), c.Unchanged)
	return nil
}
