package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/fsm"
)

// FailoverGroupReconciler turns human requests in a FailoverGroup's spec
// (approval, switchover) into state-machine events, and writes what the
// machine did into its status, in one patch per reconcile.
type FailoverGroupReconciler struct {
	Client client.Client
	Group  *Group
	// Resync is how often the status is refreshed with nothing new (the
	// last renewal moves on); the renew interval is a good value.
	Resync time.Duration

	lastApproval   string // the approval last handed to the machine
	lastSwitchover string // the switchover ID last acted on, should its status patch fail
	selectorErr    string // the invalid selector last reported
}

// SetupWithManager watches FailoverGroups, the group's evidence, the
// Services the Valkey selector matches and, when CNPG is installed, CNPG
// Clusters: an object created, labelled or changed resolves the selection
// again at once (Runner.Resync) and refreshes the status, instead of
// waiting for the resync interval.
func (r *FailoverGroupReconciler) SetupWithManager(mgr ctrl.Manager) error {
	b := ctrl.NewControllerManagedBy(mgr).
		For(&failoverv1.FailoverGroup{}).
		WatchesRawSource(source.Channel(r.Group.Notify, &handler.EnqueueRequestForObject{})).
		Named("failovergroup").
		// One per process in a cluster; tests run several managers.
		WithOptions(controller.Options{SkipNameValidation: new(true)})
	if _, err := mgr.GetRESTMapper().RESTMapping(cnpgClusterGK, "v1"); err == nil {
		cluster := &unstructured.Unstructured{}
		cluster.SetGroupVersionKind(cnpgClusterGK.WithVersion("v1"))
		b = b.Watches(cluster, handler.EnqueueRequestsFromMapFunc(r.clusterChanged))
	}
	// Services are cached already (the gate and Cilium actuators read
	// them): one the Valkey selector matches resyncs too.
	b = b.Watches(&corev1.Service{}, handler.EnqueueRequestsFromMapFunc(r.serviceChanged))
	return b.Complete(r)
}

// valkeyObserveTimeout bounds reading one selected Valkey's role for the
// status.
const valkeyObserveTimeout = 2 * time.Second

// serviceChanged resyncs when a Service the Valkey selector matches is
// created or changed.
func (r *FailoverGroupReconciler) serviceChanged(ctx context.Context, obj client.Object) []reconcile.Request {
	if sel := r.Group.ValkeySelection(); sel == nil || !sel.Matches(obj) {
		return nil
	}
	return r.clusterChanged(ctx, obj)
}

var cnpgClusterGK = schema.GroupKind{Group: "postgresql.cnpg.io", Kind: "Cluster"}

// clusterChanged resyncs the running group's selection and enqueues the
// group it serves.
func (r *FailoverGroupReconciler) clusterChanged(context.Context, client.Object) []reconcile.Request {
	run, _, key, _ := r.Group.state()
	if run == nil {
		return nil
	}
	run.Resync()
	return []reconcile.Request{{NamespacedName: key}}
}

// Reconcile handles one FailoverGroup.
func (r *FailoverGroupReconciler) Reconcile(ctx context.Context, req ctrl.Request) (res ctrl.Result, retErr error) {
	lg := log.FromContext(ctx)
	var fg failoverv1.FailoverGroup
	if err := r.Client.Get(ctx, req.NamespacedName, &fg); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if fg.Spec.Region != r.Group.Region || fg.Spec.Witness.LeaseName != r.Group.LeaseName {
		return ctrl.Result{}, nil // another controller's group
	}
	run, ev, key, problem := r.Group.state()
	before := fg.DeepCopy()
	var history []failoverv1.HistoryEntry
	var record *failoverv1.FailoverRecord
	// One status patch per reconcile. History is a list a merge patch
	// replaces whole, so the patch carries the resourceVersion read: a
	// stale cache read conflicts instead of dropping entries, and the
	// entries go back to the evidence queue for the retry.
	defer func() {
		err := r.Client.Status().Patch(ctx, &fg, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}))
		if err == nil {
			return
		}
		if ev != nil {
			ev.restore(history, record)
		}
		switch {
		case apierrors.IsConflict(err):
			res, retErr = ctrl.Result{RequeueAfter: 50 * time.Millisecond}, nil
		case !apierrors.IsNotFound(err):
			res, retErr = ctrl.Result{}, fmt.Errorf("patch status of FailoverGroup %s: %w", req.NamespacedName, err)
		}
	}()

	switch {
	case run == nil && problem != "":
		stalled(&fg.Status, fg.Generation, ReasonInvalidSpec, problem)
		return ctrl.Result{RequeueAfter: 2 * time.Second}, nil
	case run == nil:
		stalled(&fg.Status, fg.Generation, ReasonStarting, "waiting for leadership and the first witness answer")
		return ctrl.Result{RequeueAfter: time.Second}, nil
	case key != req.NamespacedName:
		stalled(&fg.Status, fg.Generation, ReasonRestartRequired,
			fmt.Sprintf("this controller runs FailoverGroup %s; restart it to serve this one", key))
		return ctrl.Result{}, nil
	}

	r.updateSelection(&fg, run, ev)
	st := run.Status()
	if err := r.approval(ctx, &fg, run, st); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.switchover(ctx, &fg, run, ev, st); err != nil {
		return ctrl.Result{}, err
	}
	history, record = ev.drain()
	snap := snapshot{Status: run.Status(), Now: time.Now()}
	if snap.Status.State.Holding() {
		snap.LastRenewal = run.Wall(snap.Status.LastRenewalSent)
	}
	applyStatus(&fg.Status, fg.Generation, snap, history, record)
	var cnpg []failoverv1.SelectedCNPGCluster
	var valkey []failoverv1.SelectedValkey
	if sel := r.Group.Selection(); sel != nil && fg.Spec.Layers.Stateful.CNPGSelector != nil {
		cnpg = sel.Selected()
	}
	if sel := r.Group.ValkeySelection(); sel != nil && fg.Spec.Layers.Stateful.ValkeySelector != nil {
		valkey = sel.Observe(ctx, valkeyObserveTimeout)
	}
	applySelection(&fg.Status, fg.Generation, cnpg, valkey, snap.Status.State, run.LastErrors())
	lg.V(1).Info("status", "state", fg.Status.State, "epoch", fg.Status.Epoch, "history", len(history))
	return ctrl.Result{RequeueAfter: r.Resync}, nil
}

// updateSelection hands the FailoverGroup's selector to the selection: a
// change resolves again at once, no restart needed. An invalid selector
// keeps the previous one and is reported once.
func (r *FailoverGroupReconciler) updateSelection(fg *failoverv1.FailoverGroup, run *Runner, ev *Evidence) {
	sel, vsel := r.Group.Selection(), r.Group.ValkeySelection()
	if sel == nil || vsel == nil {
		return
	}
	changed, err := sel.Update(fg)
	if err == nil {
		var vchanged bool
		vchanged, err = vsel.Update(fg)
		changed = changed || vchanged
	}
	switch {
	case err != nil && err.Error() != r.selectorErr:
		r.selectorErr = err.Error()
		ev.event(corev1.EventTypeWarning, ReasonInvalidSpec, "Resolve", "%s; the previous selector stays in force", err)
	case err == nil:
		r.selectorErr = ""
		if changed {
			run.Resync()
		}
	}
}

// approval hands spec.approval to the machine once, when it names the
// epoch of the open proposal (or, in manual mode, any epoch: the machine
// judges it against the free lease and records a refusal).
func (r *FailoverGroupReconciler) approval(ctx context.Context, fg *failoverv1.FailoverGroup, run *Runner, st fsm.Status) error {
	a := fg.Spec.Approval
	if a == nil {
		return nil
	}
	key := fmt.Sprintf("%d/%s/%s/%v", a.Epoch, a.By, a.Decision, a.At)
	if key == r.lastApproval {
		return nil
	}
	manual := run.m.Config().Mode == fsm.Manual
	if !manual && (st.State != fsm.AwaitingApproval || a.Epoch != int64(st.Proposal)) {
		return nil // not (yet) the open proposal: kept for when it is
	}
	r.lastApproval = key
	if a.Decision == failoverv1.DecisionDeny {
		return run.Inject(ctx, fsm.Deny{Epoch: uint64(a.Epoch), By: a.By})
	}
	return run.Inject(ctx, fsm.Approve{Epoch: uint64(a.Epoch), By: a.By})
}

// switchover acts on each spec.switchover ID once. Only the active region
// can step down, so a request is acted on where it names the peer as the
// target; naming this region is satisfied when it is already active.
func (r *FailoverGroupReconciler) switchover(ctx context.Context, fg *failoverv1.FailoverGroup, run *Runner, ev *Evidence, st fsm.Status) error {
	s := fg.Spec.Switchover
	if s == nil || s.ID == fg.Status.LastSwitchoverID {
		return nil
	}
	if s.ID == r.lastSwitchover {
		fg.Status.LastSwitchoverID = s.ID
		return nil
	}
	if st.State == fsm.FailingOver || st.State == fsm.Demoting {
		return nil // judged once the machine settles; the resync brings it back
	}
	switch s.Target {
	case fg.Spec.PeerRegion:
		fg.Status.LastSwitchoverID, r.lastSwitchover = s.ID, s.ID
		return run.Inject(ctx, fsm.Switchover{By: s.By})
	case fg.Spec.Region:
		fg.Status.LastSwitchoverID = s.ID
		msg := fmt.Sprintf("switchover %s to %s: already active", s.ID, s.Target)
		if st.State != fsm.Active {
			msg = fmt.Sprintf("switchover %s to %s: write it in the active region's FailoverGroup; only the active region can step down", s.ID, s.Target)
		}
		ev.event(corev1.EventTypeNormal, "SwitchoverNoop", "Decide", "%s", msg)
	default:
		fg.Status.LastSwitchoverID = s.ID
		ev.event(corev1.EventTypeWarning, "SwitchoverRefused", "Decide", "switchover %s: target %q is neither %q nor %q", s.ID, s.Target, fg.Spec.Region, fg.Spec.PeerRegion)
	}
	return nil
}
