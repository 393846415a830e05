package fsm

import "time"

// State is the region's role.
type State int

const (
	// Standby: not serving; watches the lease.
	Standby State = iota
	// AwaitingApproval: the lease expired and a takeover was proposed;
	// waiting for a human to approve that epoch.
	AwaitingApproval
	// FailingOver: holds the lease; the actuators are activating.
	FailingOver
	// Active: holds the lease and every actuator confirmed.
	Active
	// Demoting: planned step-down; deactivating, then releasing.
	Demoting
	// Fenced: lost (or may have lost) the lease; fencing, never serving
	// again under this epoch.
	Fenced
)

var stateNames = [...]string{"STANDBY", "AWAITING_APPROVAL", "FAILING_OVER", "ACTIVE", "DEMOTING", "FENCED"}

func (s State) String() string { return stateNames[s] }

// ParseState is the inverse of String.
func ParseState(s string) (State, bool) {
	for i, n := range stateNames {
		if n == s {
			return State(i), true
		}
	}
	return 0, false
}

// Holding reports whether the region may have effects on: it holds the
// lease and has not fenced or released it.
func (s State) Holding() bool { return s == FailingOver || s == Active || s == Demoting }

// Status is a snapshot for /status, the resource status and tests.
type Status struct {
	Region string
	State  State
	// Epoch is the epoch held, or the highest epoch seen when not holding.
	Epoch uint64
	// Holder is the holder the witness last reported.
	Holder string
	// Deadline is the local time the holder fences at; zero when not
	// holding.
	Deadline time.Duration
	// LastRenewalSent is when the last successful renewal (or the
	// acquisition) was sent; zero when not holding.
	LastRenewalSent time.Duration
	// Proposal is the epoch awaiting approval, zero when none.
	Proposal uint64
	// Lag is the last known replication lag, negative when unknown.
	Lag time.Duration
}
