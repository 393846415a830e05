// Package generate is `catalyst generate`: render the instance repository
// from instance.yaml into a directory, rewriting only what changed.
package generate

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/cmd/validate"
	"github.com/openova-io/openova/internal/filetree"
	gen "github.com/openova-io/openova/internal/generate"
	"github.com/openova-io/openova/internal/iostreams"
)

// Options are the flags of generate.
type Options struct {
	IO         *iostreams.IOStreams
	File       string
	CatalogDir string
	OutDir     string
}

// NewCmdGenerate returns the command; runF replaces the run in tests.
func NewCmdGenerate(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "generate -f instance.yaml -o DIR",
		Short: "Render the instance repository (OpenTofu, Flux tree, bootstrap) into DIR",
		Long: "Render the instance repository into DIR. Only changed files are rewritten; files generated\n" +
			"before and no longer generated are removed; files you added are never touched.\n" +
			"Preview with `catalyst diff -f instance.yaml DIR`.",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return generateRun(opts)
		},
	}
	validate.AddInputFlags(cmd, &opts.File, &opts.CatalogDir)
	cmd.Flags().StringVarP(&opts.OutDir, "output", "o", "", "directory of the instance repository (created if missing)")
	_ = cmd.MarkFlagRequired("output")
	return cmd
}

func generateRun(opts *Options) error {
	spec, _, cat, err := validate.Load(opts.File, opts.CatalogDir)
	if err != nil {
		return err
	}
	tree, err := gen.Generate(spec, cat)
	if err != nil {
		return err
	}
	c, err := filetree.Write(tree, opts.OutDir)
	if err != nil {
		return err
	}
	if err := c.WriteStat(opts.IO.Out); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "%s: %d added, %d modified, %d removed, %d unchanged\n",
		opts.OutDir, len(c.Added), len(c.Modified), len(c.Removed), c.Unchanged)
	return nil
}
