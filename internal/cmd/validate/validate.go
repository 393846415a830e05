// Package validate is `catalyst validate`: check an instance spec against
// every rule and the catalog, printing each problem with its field path.
package validate

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/instance"
	"github.com/openova-io/openova/internal/iostreams"
)

// Options are the flags of validate.
type Options struct {
	IO         *iostreams.IOStreams
	File       string
	CatalogDir string
}

// NewCmdValidate returns the command; runF replaces the run in tests.
func NewCmdValidate(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "validate -f instance.yaml",
		Short: "Check an instance spec: every problem with its field path and fix",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return validateRun(opts)
		},
	}
	AddInputFlags(cmd, &opts.File, &opts.CatalogDir)
	return cmd
}

// AddInputFlags adds -f and --catalog, shared by validate, generate and diff.
func AddInputFlags(cmd *cobra.Command, file, catalogDir *string) {
	cmd.Flags().StringVarP(file, "file", "f", "instance.yaml", "instance spec to read")
	cmd.Flags().StringVar(catalogDir, "catalog", "", "catalog checkout (the directory holding platform/, products/ and schemas/); default: the catalog built into catalyst")
}

// Load reads the spec and the catalog and checks the spec: what every
// command that consumes a spec runs first.
func Load(file, catalogDir string) (spec []byte, in *instance.Instance, cat *catalog.Catalog, err error) {
	if catalogDir == "" {
		cat, err = catalog.Load(openova.Catalog)
	} else {
		cat, err = catalog.LoadDir(catalogDir)
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("load catalog: %w", err)
	}
	spec, err = os.ReadFile(file)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read instance spec: %w", err)
	}
	in, err = instance.Check(spec, instance.NewCatalog(cat.Blueprints, cat.Products))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%s: %w", file, err)
	}
	return spec, in, cat, nil
}

func validateRun(opts *Options) error {
	_, in, _, err := Load(opts.File, opts.CatalogDir)
	if err != nil { // *instance.ValidationError exits 3 (internal/cmd/root)
		return err
	}
	fmt.Fprintf(opts.IO.Out, "%s: valid (tenant %s, %d region(s), %d component(s), %d product(s) chosen)\n",
		opts.File, in.Spec.Tenant, len(in.Spec.Regions), len(in.Spec.Components), len(in.Spec.Products))
	return nil
}
