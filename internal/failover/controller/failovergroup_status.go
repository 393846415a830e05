package controller

import (
	"fmt"
	"strings"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/fsm"
)

// Condition types and the reasons not named after a state.
const (
	ConditionReady       = "Ready"
	ConditionReconciling = "Reconciling"
	ConditionStalled     = "Stalled"

	ReasonInvalidSpec     = "InvalidSpec"
	ReasonStarting        = "Starting"
	ReasonRestartRequired = "RestartRequired"

	// ConditionDegraded is True while a Cluster the CNPG selector matches
	// cannot be actuated.
	ConditionDegraded          = "Degraded"
	ReasonClusterNotInTopology = "ClusterNotInTopology"
	ReasonAllSelectedActuated  = "AllSelectedActuated"
)

// snapshot is what the reconciler knows of the runner at one moment.
type snapshot struct {
	Status      fsm.Status
	LastRenewal time.Time // wall time; zero when not holding
	Now         time.Time
}

// applyStatus writes the runner's state, new evidence and conditions into
// s. History keeps the newest HistoryLimit entries.
func applyStatus(s *failoverv1.FailoverGroupStatus, gen int64, snap snapshot, history []failoverv1.HistoryEntry, fo *failoverv1.FailoverRecord) {
	st := snap.Status
	s.ObservedGeneration = gen
	s.State = failoverv1.State(st.State.String())
	s.Epoch = int64(st.Epoch)
	s.Holder = st.Holder
	s.LastRenewal = nil
	if !snap.LastRenewal.IsZero() {
		s.LastRenewal = &metav1.Time{Time: snap.LastRenewal}
	}
	s.ReplicationLagSeconds = nil
	if st.Lag >= 0 {
		v := int64(st.Lag / time.Second)
		s.ReplicationLagSeconds = &v
	}
	s.History = append(s.History, history...)
	if n := len(s.History) - failoverv1.HistoryLimit; n > 0 {
		s.History = s.History[n:]
	}
	if fo != nil {
		s.LastFailover = fo
	}
	s.PendingProposal = pendingProposal(s, st, snap.Now)

	ready := metav1.Condition{Type: ConditionReady, Status: metav1.ConditionFalse, Reason: reasonOf(st.State), ObservedGeneration: gen}
	reconciling := metav1.Condition{Type: ConditionReconciling, Status: metav1.ConditionFalse, Reason: reasonOf(st.State), ObservedGeneration: gen}
	switch st.State {
	case fsm.Active:
		ready.Status, ready.Message = metav1.ConditionTrue, fmt.Sprintf("active: holds the lease at epoch %d, every actuator confirmed", st.Epoch)
	case fsm.Standby:
		ready.Status, ready.Message = metav1.ConditionTrue, fmt.Sprintf("standing by; lease last seen with %s at epoch %d", orNone(st.Holder), st.Epoch)
	case fsm.AwaitingApproval:
		ready.Message = fmt.Sprintf("takeover at epoch %d awaits approval: catalyst failover approve --epoch %d", st.Proposal, st.Proposal)
	case fsm.FailingOver:
		ready.Message = fmt.Sprintf("holds the lease at epoch %d; actuators activating", st.Epoch)
		reconciling.Status, reconciling.Message = metav1.ConditionTrue, ready.Message
	case fsm.Demoting:
		ready.Message = fmt.Sprintf("switching over: deactivating at epoch %d before releasing the lease", st.Epoch)
		reconciling.Status, reconciling.Message = metav1.ConditionTrue, ready.Message
	case fsm.Fenced:
		ready.Message = fmt.Sprintf("fenced at epoch %d: lost or could not confirm the lease; stepping down", st.Epoch)
		reconciling.Status, reconciling.Message = metav1.ConditionTrue, ready.Message
	}
	apimeta.SetStatusCondition(&s.Conditions, ready)
	apimeta.SetStatusCondition(&s.Conditions, reconciling)
	apimeta.RemoveStatusCondition(&s.Conditions, ConditionStalled)
}

// pendingProposal keeps the open proposal's first sighting, with the
// reason recorded in history.
func pendingProposal(s *failoverv1.FailoverGroupStatus, st fsm.Status, now time.Time) *failoverv1.Proposal {
	if st.State != fsm.AwaitingApproval || st.Proposal == 0 {
		return nil
	}
	if p := s.PendingProposal; p != nil && p.Epoch == int64(st.Proposal) {
		return p
	}
	p := &failoverv1.Proposal{Epoch: int64(st.Proposal), Reason: "takeover requested", At: metav1.NewTime(now)}
	for i := len(s.History) - 1; i >= 0; i-- {
		if h := s.History[i]; h.Kind == failoverv1.HistoryProposal && h.Epoch == p.Epoch {
			p.Reason, p.At = h.Message, h.Time
			break
		}
	}
	if st.Lag >= 0 {
		v := int64(st.Lag / time.Second)
		p.LagSeconds = &v
	}
	return p
}

// stalled marks s as unable to run: the spec is invalid, or the runner has
// not started.
func stalled(s *failoverv1.FailoverGroupStatus, gen int64, reason, msg string) {
	apimeta.SetStatusCondition(&s.Conditions, metav1.Condition{Type: ConditionReady, Status: metav1.ConditionFalse, Reason: reason, Message: msg, ObservedGeneration: gen})
	st := metav1.ConditionTrue
	if reason == ReasonStarting {
		st = metav1.ConditionFalse
	}
	apimeta.SetStatusCondition(&s.Conditions, metav1.Condition{Type: ConditionStalled, Status: st, Reason: reason, Message: msg, ObservedGeneration: gen})
}

func orNone(s string) string {
	if s == "" {
		return "nobody"
	}
	return s
}

// applySelection writes what the selectors resolved to, each object's
// state relative to the group (converged: primary here while this region
// holds the lease, following the peer while it does not; its last
// actuation error), and the Degraded condition naming those that are not
// actuated (removed when there is no selector).
func applySelection(s *failoverv1.FailoverGroupStatus, gen int64, cnpg []failoverv1.SelectedCNPGCluster, valkey []failoverv1.SelectedValkey, state fsm.State, lastErrors map[string]string) {
	bad := judgeSelected(cnpg, valkey, state, lastErrors)
	s.SelectedCNPG, s.SelectedValkey = cnpg, valkey
	if cnpg == nil && valkey == nil {
		apimeta.RemoveStatusCondition(&s.Conditions, ConditionDegraded)
		return
	}
	cond := metav1.Condition{Type: ConditionDegraded, Status: metav1.ConditionFalse, Reason: ReasonAllSelectedActuated, ObservedGeneration: gen,
		Message: fmt.Sprintf("every one of the %d CNPG Clusters and %d Valkey instances the selectors match follows the active region", len(cnpg), len(valkey))}
	if len(bad) > 0 {
		cond.Status, cond.Reason = metav1.ConditionTrue, ReasonClusterNotInTopology
		cond.Message = truncate(fmt.Sprintf("%d selected object(s) not actuated: %s", len(bad), strings.Join(bad, "; ")), 32768)
	}
	apimeta.SetStatusCondition(&s.Conditions, cond)
}

// judgeSelected fills in each selected object's converged and last error
// (in place) and returns those not actuated, described; the status and
// /status share it.
func judgeSelected(cnpg []failoverv1.SelectedCNPGCluster, valkey []failoverv1.SelectedValkey, state fsm.State, lastErrors map[string]string) []string {
	holding := state == fsm.Active || state == fsm.FailingOver
	var bad []string
	for i := range cnpg {
		c := &cnpg[i]
		switch {
		case c.Problem != "":
			c.Converged = false
			bad = append(bad, fmt.Sprintf("CNPG Cluster %s/%s: %s", c.Namespace, c.Name, c.Problem))
		case holding:
			c.Converged = c.Role == failoverv1.CNPGRolePrimary
		default:
			c.Converged = c.Primary == c.Peer && c.Role != failoverv1.CNPGRoleRebuildRequired
		}
		c.LastError = truncate(lastErrors["cnpg "+c.Namespace+"/"+c.Name], 1024)
	}
	for i := range valkey {
		v := &valkey[i]
		switch {
		case v.Problem != "":
			v.Converged = false
			bad = append(bad, fmt.Sprintf("Valkey %s/%s: %s", v.Namespace, v.Name, v.Problem))
		case holding:
			v.Converged = v.Role == failoverv1.ValkeyRolePrimary
		default:
			v.Converged = v.Role == failoverv1.ValkeyRoleReplica && v.ReplicaOf == v.PeerAddress
		}
		v.LastError = truncate(lastErrors["valkey "+v.Namespace+"/"+v.Name], 1024)
	}
	return bad
}
