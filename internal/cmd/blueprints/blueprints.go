// Package blueprints is `catalyst blueprints`: today `sync`, which
// mirrors the blueprint catalog into a customer's Gitea for air-gapped
// installations (internal/blueprintsync).
package blueprints

import (
	"github.com/spf13/cobra"

	"github.com/openova-io/openova/internal/cmd/factory"
)

// NewCmdBlueprints returns `catalyst blueprints` and its subcommands.
func NewCmdBlueprints(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "blueprints <command>",
		Short: "Mirror the blueprint catalog into the customer's Gitea",
	}
	cmd.AddCommand(NewCmdSync(f, nil))
	return cmd
}
