package failover

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/cmd/factory"
)

// SwitchoverOptions are the flags of switchover.
type SwitchoverOptions struct {
	common
	Name string
	To   string
	As   string
}

// NewCmdSwitchover returns `catalyst failover switchover`.
func NewCmdSwitchover(f *factory.Factory, runF func(*SwitchoverOptions) error) *cobra.Command {
	opts := &SwitchoverOptions{common: common{IO: f.IOStreams, Now: time.Now}}
	cmd := &cobra.Command{
		Use:   "switchover NAME --to REGION --as WHO",
		Short: "Request a planned switchover of the active role to a region",
		Long: `Writes a switchover request (spec.switchover, with a fresh ID) into the
FailoverGroup. The active region's controller demotes in order (gate,
services, then data with CNPG's demotion token) and releases the lease; the
target takes it over. The only way a manual-mode pair ever changes sides.`,
		Example: `  catalyst failover switchover shop -n openova-system --to hel1 --as alice@bank.example`,
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return switchoverRun(context.Background(), opts)
		},
	}
	opts.Kube.add(cmd)
	cmd.Flags().StringVar(&opts.To, "to", "", "region that should become active")
	cmd.Flags().StringVar(&opts.As, "as", "", "who requests it, recorded as evidence")
	_ = cmd.MarkFlagRequired("to")
	_ = cmd.MarkFlagRequired("as")
	return cmd
}

func switchoverRun(ctx context.Context, opts *SwitchoverOptions) error {
	c, ns, err := opts.kube()
	if err != nil {
		return err
	}
	now := opts.Now().UTC()
	id := "switchover-" + now.Format("20060102T150405Z")
	err = patchSpec(ctx, c, client.ObjectKey{Namespace: ns, Name: opts.Name}, func(fg *failoverv1.FailoverGroup) error {
		if opts.To != fg.Spec.Region && opts.To != fg.Spec.PeerRegion {
			return fmt.Errorf("--to %q is neither region %q nor peerRegion %q of FailoverGroup %s/%s", opts.To, fg.Spec.Region, fg.Spec.PeerRegion, ns, opts.Name)
		}
		if fg.Status.Holder == opts.To && fg.Status.State == failoverv1.StateActive && opts.To == fg.Spec.Region {
			return fmt.Errorf("region %s is already active at epoch %d; nothing to switch", opts.To, fg.Status.Epoch)
		}
		fg.Spec.Switchover = &failoverv1.SwitchoverRequest{ID: id, Target: opts.To, By: opts.As, At: &metav1.Time{Time: now}}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "requested switchover %s of FailoverGroup %s/%s to %s, as %s; follow it with `catalyst failover status`\n", id, ns, opts.Name, opts.To, opts.As)
	return nil
}
