// Package catalog is `catalyst catalog`: list, show, graph and lint the
// blueprint catalog, embedded in the binary or from a checkout (--dir).
package catalog

import (
	"encoding/json"
	"io"
	"io/fs"

	"github.com/spf13/cobra"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/cmd/factory"
)

// NewCmdCatalog returns `catalyst catalog` and its subcommands.
func NewCmdCatalog(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog <command>",
		Short: "List, show, graph and lint the blueprint catalog",
		Long: `The catalog is the 52 platform component blueprints (platform/) and the
products that bundle them (products/). By default the catalog embedded in
this binary is used; --dir DIR reads a checkout instead, for blueprint authors.`,
	}
	cmd.AddCommand(NewCmdList(f, nil))
	cmd.AddCommand(NewCmdShow(f, nil))
	cmd.AddCommand(NewCmdGraph(f, nil))
	cmd.AddCommand(NewCmdLint(f, nil))
	return cmd
}

// source is where a command reads the catalog from.
type source struct {
	Dir string
	// Embedded is the catalog built into the binary.
	Embedded fs.FS
}

func (s *source) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&s.Dir, "dir", "", "read the catalog from a checkout `DIR` (holding platform/, products/ and schemas/) instead of the embedded one")
}

func (s *source) fs() fs.FS {
	if s.Dir != "" {
		return nil
	}
	if s.Embedded != nil {
		return s.Embedded
	}
	return openova.Catalog
}

func (s *source) load() (*catalog.Catalog, error) {
	if s.Dir != "" {
		return catalog.LoadDir(s.Dir)
	}
	return catalog.Load(s.fs())
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
