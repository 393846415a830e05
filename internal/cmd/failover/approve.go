package failover

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/cmd/factory"
)

// ApproveOptions are the flags of approve.
type ApproveOptions struct {
	common
	Name  string
	Epoch int64
	As    string
	Deny  bool
}

// NewCmdApprove returns `catalyst failover approve`.
func NewCmdApprove(f *factory.Factory, runF func(*ApproveOptions) error) *cobra.Command {
	opts := &ApproveOptions{common: common{IO: f.IOStreams, Now: time.Now}}
	cmd := &cobra.Command{
		Use:   "approve NAME --epoch N --as WHO",
		Short: "Approve (or --deny) the pending takeover proposal of one epoch",
		Long: `Records a decision in the FailoverGroup's spec.approval for exactly the
epoch named: the controller acts only if that is still the pending
proposal's epoch, so an approval can never apply to a later, different
situation. The decision, who made it and the epoch enter the status
history and the Kubernetes events.`,
		Example: `  catalyst failover approve shop -n openova-system --epoch 42 --as alice@bank.example`,
		Args:    cobra.ExactArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return approveRun(context.Background(), opts)
		},
	}
	opts.Kube.add(cmd)
	cmd.Flags().Int64Var(&opts.Epoch, "epoch", 0, "epoch of the proposal being decided (see `catalyst failover status`)")
	cmd.Flags().StringVar(&opts.As, "as", "", "who decides, recorded as evidence (e.g. your e-mail)")
	cmd.Flags().BoolVar(&opts.Deny, "deny", false, "deny the proposal instead of approving it")
	_ = cmd.MarkFlagRequired("epoch")
	_ = cmd.MarkFlagRequired("as")
	return cmd
}

func approveRun(ctx context.Context, opts *ApproveOptions) error {
	if opts.Epoch <= 0 {
		return errors.New("--epoch must be the positive epoch of the pending proposal (see `catalyst failover status`)")
	}
	c, ns, err := opts.kube()
	if err != nil {
		return err
	}
	decision := failoverv1.DecisionApprove
	if opts.Deny {
		decision = failoverv1.DecisionDeny
	}
	err = patchSpec(ctx, c, client.ObjectKey{Namespace: ns, Name: opts.Name}, func(fg *failoverv1.FailoverGroup) error {
		p := fg.Status.PendingProposal
		if p == nil {
			return fmt.Errorf("FailoverGroup %s/%s has no pending proposal; nothing to approve", ns, opts.Name)
		}
		if p.Epoch != opts.Epoch {
			return fmt.Errorf("the pending proposal of FailoverGroup %s/%s is for epoch %d, not %d; check `catalyst failover status` and decide on the current one",
				ns, opts.Name, p.Epoch, opts.Epoch)
		}
		fg.Spec.Approval = &failoverv1.Approval{Epoch: opts.Epoch, By: opts.As, Decision: decision, At: &metav1.Time{Time: opts.Now().UTC()}}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "%s takeover at epoch %d of FailoverGroup %s/%s, as %s\n", verbPast(decision), opts.Epoch, ns, opts.Name, opts.As)
	return nil
}

func verbPast(d failoverv1.Decision) string {
	if d == failoverv1.DecisionDeny {
		return "denied"
	}
	return "approved"
}

// patchSpec reads the FailoverGroup, lets mutate judge and change it, and
// sends one merge patch carrying the resourceVersion read. The controller
// writes the status on every lease renewal, so a conflict is common and
// says little: the group is read again and mutate judges the new state
// (an approval is bound to the epoch the user named, a switchover to its
// target), and only then is it sent again; a proposal that changed
// meanwhile is refused by mutate, never approved unseen.
func patchSpec(ctx context.Context, c client.Client, key client.ObjectKey, mutate func(*failoverv1.FailoverGroup) error) error {
	err := retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		var fg failoverv1.FailoverGroup
		if err := c.Get(ctx, key, &fg); err != nil {
			return fmt.Errorf("FailoverGroup %s: %w", key, err)
		}
		before := fg.DeepCopy()
		if err := mutate(&fg); err != nil {
			return err
		}
		return c.Patch(ctx, &fg, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
	})
	if apierrors.IsConflict(err) {
		return fmt.Errorf("FailoverGroup %s: %w (it kept changing; check `catalyst failover status` and retry)", key, err)
	}
	return err
}
