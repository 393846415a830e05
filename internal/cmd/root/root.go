// Package root assembles the catalyst command tree and maps errors to exit
// codes in one place.
package root

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/openova-io/openova/internal/cmd/blueprints"
	"github.com/openova-io/openova/internal/cmd/bootstrap"
	catalogcmd "github.com/openova-io/openova/internal/cmd/catalog"
	"github.com/openova-io/openova/internal/cmd/cmdutil"
	"github.com/openova-io/openova/internal/cmd/diff"
	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/cmd/failover"
	"github.com/openova-io/openova/internal/cmd/generate"
	initcmd "github.com/openova-io/openova/internal/cmd/init"
	managercmd "github.com/openova-io/openova/internal/cmd/manager"
	seedcmd "github.com/openova-io/openova/internal/cmd/seed"
	"github.com/openova-io/openova/internal/cmd/validate"
	"github.com/openova-io/openova/internal/instance"
)

// Exit codes of catalyst.
const (
	ExitOK     = 0
	ExitError  = 1 // the command failed
	ExitUsage  = 2 // bad flags or arguments
	ExitFailed = 3 // a check ran and found problems (lint, validate)
)

// NewCmdRoot returns the catalyst command with every subcommand.
func NewCmdRoot(f *factory.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:           "catalyst <command>",
		Short:         "OpenOva Catalyst: blueprint catalog, instance generation and platform lifecycle",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	cmd.SetOut(f.IOStreams.Out)
	cmd.SetErr(f.IOStreams.ErrOut)
	for _, sub := range subcommands {
		cmd.AddCommand(sub(f))
	}
	return cmd
}

// subcommands are registered by each command package's register call below;
// keeping the list here makes the tree visible in one place.
var subcommands = []func(*factory.Factory) *cobra.Command{
	func(f *factory.Factory) *cobra.Command {
		return catalogcmd.NewCmdCatalog(f)
	},
	func(f *factory.Factory) *cobra.Command { return initcmd.NewCmdInit(f, nil) },
	func(f *factory.Factory) *cobra.Command { return validate.NewCmdValidate(f, nil) },
	func(f *factory.Factory) *cobra.Command { return generate.NewCmdGenerate(f, nil) },
	func(f *factory.Factory) *cobra.Command { return diff.NewCmdDiff(f, nil) },
	failover.NewCmdFailover,
	func(f *factory.Factory) *cobra.Command { return bootstrap.NewCmdBootstrap(f, nil) },
	func(f *factory.Factory) *cobra.Command { return managercmd.NewCmdManager(f, nil) },
	func(f *factory.Factory) *cobra.Command { return seedcmd.NewCmdSeed(f, nil) },
	blueprints.NewCmdBlueprints,
}

// Main runs catalyst with the process's arguments and returns the exit code.
func Main() int {
	f := factory.New()
	cmd := NewCmdRoot(f)
	err := cmd.Execute()
	return exitCode(f, err)
}

func exitCode(f *factory.Factory, err error) int {
	if err == nil {
		return ExitOK
	}
	var invalid *instance.ValidationError
	if errors.As(err, &invalid) {
		fmt.Fprintln(f.IOStreams.ErrOut, err)
		return ExitFailed
	}
	var failed *cmdutil.FailedError
	if errors.As(err, &failed) {
		if failed.Msg != "" {
			fmt.Fprintln(f.IOStreams.ErrOut, failed.Msg)
		}
		return ExitFailed
	}
	fmt.Fprintln(f.IOStreams.ErrOut, "error:", err)
	return ExitError
}
