package controller

import (
	"errors"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/event"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/actuator"
	"github.com/openova-io/openova/internal/failover/fsm"
)

// Evidence turns what the runner does into Kubernetes Events at once and
// into status history entries that the reconciler writes in its next
// status patch. It is fed from the runner's goroutines and drained by the
// reconciler.
type Evidence struct {
	rec    events.EventRecorder
	obj    runtime.Object // the FailoverGroup the events are about
	peer   string
	now    func() time.Time
	notify chan event.GenericEvent

	mu       sync.Mutex
	entries  []failoverv1.HistoryEntry
	failover *failoverv1.FailoverRecord
	lossAt   time.Time // when the takeover in progress was detected
	rpo      *int64
}

// NewEvidence records about fg; notify (buffered) wakes the reconciler.
func NewEvidence(rec events.EventRecorder, fg *failoverv1.FailoverGroup, now func() time.Time, notify chan event.GenericEvent) *Evidence {
	return &Evidence{rec: rec, obj: fg.DeepCopy(), peer: fg.Spec.PeerRegion, now: now, notify: notify}
}

// Action is the runner's Evidence hook.
func (e *Evidence) Action(a fsm.Action, st fsm.Status) {
	now := metav1.NewTime(e.now())
	switch a := a.(type) {
	case fsm.Transition:
		msg := a.Reason
		if a.Lag >= 0 {
			msg += fmt.Sprintf(" (replication lag %s)", a.Lag)
		}
		e.add(failoverv1.HistoryEntry{Time: now, Kind: failoverv1.HistoryTransition, Epoch: int64(a.Epoch),
			From: failoverv1.State(a.From.String()), To: failoverv1.State(a.To.String()), Message: msg})
		kind := corev1.EventTypeNormal
		if a.To == fsm.Fenced {
			kind = corev1.EventTypeWarning
		}
		e.event(kind, reasonOf(a.To), "Transition", "%s -> %s at epoch %d: %s", a.From, a.To, a.Epoch, msg)
		e.takeover(a, now.Time)
	case fsm.Propose:
		lag := "unknown"
		if a.Lag >= 0 {
			lag = a.Lag.String()
		}
		e.mu.Lock()
		if e.lossAt.IsZero() {
			e.lossAt = now.Time
		}
		e.mu.Unlock()
		e.add(failoverv1.HistoryEntry{Time: now, Kind: failoverv1.HistoryProposal, Epoch: int64(a.Epoch),
			Message: fmt.Sprintf("takeover proposed: %s; replication lag %s; approve epoch %d", a.Reason, lag, a.Epoch)})
		e.event(corev1.EventTypeWarning, "TakeoverProposed", "Propose", "takeover at epoch %d needs approval: %s (replication lag %s)", a.Epoch, a.Reason, lag)
	case fsm.Note:
		e.note(a, now)
	case fsm.Actuate:
		e.add(failoverv1.HistoryEntry{Time: now, Kind: failoverv1.HistoryActuation, Epoch: int64(a.Epoch), Message: "ordered " + a.Op.String()})
	}
}

// Actuated is the runner's Actuated hook.
func (e *Evidence) Actuated(r ActuatorResult) {
	now := metav1.NewTime(e.now())
	msg := fmt.Sprintf("%s %s: done", r.Order.Op, r.Actuator)
	kind, reason := corev1.EventTypeNormal, "Actuated"
	switch {
	case errors.Is(r.Err, actuator.ErrStaleEpoch):
		msg = fmt.Sprintf("%s %s: superseded: %v", r.Order.Op, r.Actuator, r.Err)
		kind, reason = corev1.EventTypeWarning, "ActuationSuperseded"
	case r.Err != nil:
		msg = fmt.Sprintf("%s %s: failing, retrying: %v", r.Order.Op, r.Actuator, r.Err)
		kind, reason = corev1.EventTypeWarning, "ActuationFailing"
	}
	e.add(failoverv1.HistoryEntry{Time: now, Kind: failoverv1.HistoryActuation, Epoch: int64(r.Order.Epoch), Message: msg})
	e.event(kind, reason, "Actuate", "epoch %d: %s", r.Order.Epoch, msg)
}

// SelectionProblem records a selected CNPG Cluster or Valkey instance
// that is not actuated (the selections' Problem hook): a Warning event and
// a history entry, so a labelled object is never skipped silently.
func (e *Evidence) SelectionProblem(cluster, problem string) {
	msg := fmt.Sprintf("%s selected but not actuated: %s", cluster, problem)
	e.add(failoverv1.HistoryEntry{Time: metav1.NewTime(e.now()), Kind: failoverv1.HistoryActuation, Message: truncate(msg, 1024)})
	e.event(corev1.EventTypeWarning, ReasonClusterNotInTopology, "Resolve", "%s", msg)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

func (e *Evidence) note(n fsm.Note, now metav1.Time) {
	entry := failoverv1.HistoryEntry{Time: now, Epoch: int64(n.Epoch), Who: n.By, Message: n.Kind}
	if n.Detail != "" {
		entry.Message += ": " + n.Detail
	}
	kind, reason := corev1.EventTypeNormal, ""
	switch n.Kind {
	case "approved":
		entry.Kind, reason = failoverv1.HistoryApproval, "TakeoverApproved"
	case "approval-refused":
		entry.Kind, kind, reason = failoverv1.HistoryApproval, corev1.EventTypeWarning, "ApprovalRefused"
	case "denied":
		entry.Kind, reason = failoverv1.HistoryDenial, "TakeoverDenied"
	case "denial-refused":
		entry.Kind, kind, reason = failoverv1.HistoryDenial, corev1.EventTypeWarning, "DenialRefused"
	case "switchover":
		entry.Kind, reason = failoverv1.HistorySwitchover, "SwitchoverStarted"
		e.mu.Lock()
		e.lossAt = now.Time
		e.mu.Unlock()
	case "switchover-refused":
		entry.Kind, kind, reason = failoverv1.HistorySwitchover, corev1.EventTypeWarning, "SwitchoverRefused"
	case "proposal-withdrawn", "lease-expired":
		entry.Kind, reason = failoverv1.HistoryProposal, "Proposal"
		if n.Kind == "lease-expired" {
			kind, reason = corev1.EventTypeWarning, "LeaseExpired"
		}
	default: // ignored witness replies: logged and evented, not history
		e.event(corev1.EventTypeWarning, "WitnessReplyIgnored", "Observe", "%s", entry.Message)
		return
	}
	e.add(entry)
	who := ""
	if n.By != "" {
		who = " by " + n.By
	}
	e.event(kind, reason, "Decide", "epoch %d%s: %s", n.Epoch, who, entry.Message)
}

// takeover measures a takeover: from its detection (proposal, switchover
// request, or the grant itself) to every actuator confirmed.
func (e *Evidence) takeover(t fsm.Transition, now time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch t.To {
	case fsm.FailingOver:
		if e.lossAt.IsZero() {
			e.lossAt = now
		}
		e.rpo = nil
		if t.Lag >= 0 {
			s := int64(t.Lag.Round(time.Second) / time.Second)
			e.rpo = &s
		}
	case fsm.Active:
		if t.From != fsm.FailingOver || e.lossAt.IsZero() {
			return
		}
		e.failover = &failoverv1.FailoverRecord{Epoch: int64(t.Epoch), From: e.peer, To: e.obj.(*failoverv1.FailoverGroup).Spec.Region,
			At: metav1.NewTime(now), RTO: metav1.Duration{Duration: now.Sub(e.lossAt)}, RPOSeconds: e.rpo}
		e.lossAt = time.Time{}
	case fsm.Standby, fsm.Fenced:
		if t.From == fsm.AwaitingApproval || t.From.Holding() {
			e.lossAt = time.Time{}
		}
	}
}

func (e *Evidence) add(h failoverv1.HistoryEntry) {
	e.mu.Lock()
	e.entries = append(e.entries, h)
	e.mu.Unlock()
	select {
	case e.notify <- event.GenericEvent{Object: e.obj.(*failoverv1.FailoverGroup).DeepCopy()}:
	default:
	}
}

func (e *Evidence) event(kind, reason, action, note string, args ...any) {
	if e.rec != nil {
		e.rec.Eventf(e.obj, nil, kind, reason, action, note, args...)
	}
}

// drain hands over the entries and the latest failover record not yet
// written; restore gives them back when the status patch failed.
func (e *Evidence) drain() ([]failoverv1.HistoryEntry, *failoverv1.FailoverRecord) {
	e.mu.Lock()
	defer e.mu.Unlock()
	h, f := e.entries, e.failover
	e.entries, e.failover = nil, nil
	return h, f
}

func (e *Evidence) restore(h []failoverv1.HistoryEntry, f *failoverv1.FailoverRecord) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.entries = append(h, e.entries...)
	if e.failover == nil {
		e.failover = f
	}
}

// reasonOf is the typed condition and event reason of a state.
func reasonOf(s fsm.State) string {
	return [...]string{"Standby", "AwaitingApproval", "FailingOver", "Active", "Demoting", "Fenced"}[s]
}
