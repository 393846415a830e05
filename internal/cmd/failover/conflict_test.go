package failover_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/cmd/failover"
)

// The controller writes the status on every lease renewal, so a person's
// approval usually meets a newer resourceVersion than the one it read.
// Here a renewal lands between the read and the first patch every time:
// the approval is judged again on the new state and goes through; but if
// the renewal brought a new proposal, the approval of the old epoch is
// refused rather than applied to a situation nobody saw.
func TestApprovalSurvivesARenewalInBetween(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name        string
		newProposal int64 // what the renewal in between proposes
		wantErr     string
	}{
		{"renewal keeps the proposal", 12, ""},
		{"renewal brings a new proposal", 13, "is for epoch 13, not 12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fg := group(t, "renewing-"+strings.ReplaceAll(tc.name, " ", "-"), 12)
			key := client.ObjectKeyFromObject(fg)
			patches := 0
			base, err := client.NewWithWatch(env.Config, client.Options{Scheme: env.Scheme})
			if err != nil {
				t.Fatal(err)
			}
			c := interceptor.NewClient(base, interceptor.Funcs{
				Patch: func(ctx context.Context, c client.WithWatch, obj client.Object, patch client.Patch, opts ...client.PatchOption) error {
					patches++
					if patches == 1 { // the controller renews first
						var cur failoverv1.FailoverGroup
						if err := c.Get(ctx, key, &cur); err != nil {
							return err
						}
						cur.Status.LastRenewal = &metav1.Time{Time: cur.CreationTimestamp.Add(time.Second)}
						cur.Status.PendingProposal.Epoch = tc.newProposal
						if err := c.Status().Update(ctx, &cur); err != nil {
							return err
						}
					}
					return c.Patch(ctx, obj, patch, opts...)
				},
			})
			err = failover.PatchSpec(ctx, c, key, func(g *failoverv1.FailoverGroup) error {
				if p := g.Status.PendingProposal; p.Epoch != 12 { // as approve judges it
					return fmt.Errorf("the pending proposal is for epoch %d, not 12", p.Epoch)
				}
				g.Spec.Approval = &failoverv1.Approval{Epoch: 12, By: "alice", Decision: failoverv1.DecisionApprove, At: &metav1.Time{Time: g.CreationTimestamp.Time}}
				return nil
			})
			var got failoverv1.FailoverGroup
			if gerr := env.Client.Get(ctx, key, &got); gerr != nil {
				t.Fatal(gerr)
			}
			if tc.wantErr == "" {
				if err != nil || patches != 2 || got.Spec.Approval == nil || got.Spec.Approval.Epoch != 12 {
					t.Fatalf("approval after a renewal in between = %v after %d patches, spec.approval %+v; want it recorded on the second try", err, patches, got.Spec.Approval)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || got.Spec.Approval != nil {
				t.Fatalf("approval of epoch 12 after a renewal proposing %d = %v, spec.approval %+v; want it refused", tc.newProposal, err, got.Spec.Approval)
			}
		})
	}
}
