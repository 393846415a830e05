package fsm

import (
	"fmt"
	"time"
)

// Event is an input to the machine. The shell turns witness replies,
// actuator results, replication observations and human commands into
// events; time passing is a Tick.
type Event interface{ event() }

// Tick says time passed; the machine sends, retries and fences on it.
type Tick struct{}

// Outcome is what the witness answered, as the machine needs it.
type Outcome int

const (
	// OK: the request was granted (acquire, renew, release) or read.
	OK Outcome = iota
	// Conflict: someone else holds the lease, or the epoch moved on.
	Conflict
	// Expired: our lease expired before the witness saw the renewal.
	Expired
	// Unavailable: no usable answer (error, 5xx, timeout).
	Unavailable
)

func (o Outcome) String() string {
	return [...]string{"ok", "conflict", "expired", "unavailable"}[o]
}

// Lease is the witness's view of the lease in a reply.
type Lease struct {
	Holder string
	Epoch  uint64
	// Held is false when the lease is free or the witness judged it
	// expired.
	Held bool
	// ExpiresIn is the witness's estimate of the time left, used only to
	// poll sooner (never for safety). Zero when unknown.
	ExpiresIn time.Duration
}

func (l Lease) String() string {
	s := fmt.Sprintf("holder=%s epoch=%d", orNone(l.Holder), l.Epoch)
	if l.Held {
		s += " held"
	} else {
		s += " free"
	}
	if l.ExpiresIn > 0 {
		s += " expires-in=" + l.ExpiresIn.String()
	}
	return s
}

// Reply is the witness's answer to the request the machine sent as Seq.
type Reply struct {
	Seq     uint64
	Outcome Outcome
	Lease   Lease
}

// Lag is the standby's latest replication lag observation. Unknown says
// no source can currently vouch for it (the RPO guard then refuses
// automatic takeover, as before the first observation).
type Lag struct {
	Lag     time.Duration
	Unknown bool
}

// ActuatorsDone says the actuators finished an action for an epoch.
type ActuatorsDone struct {
	Op    ActuatorOp
	Epoch uint64
}

// Approve is a human's approval of a takeover at exactly Epoch (the epoch
// the new grant will carry).
type Approve struct {
	Epoch uint64
	By    string
}

// Deny is a human's refusal of the takeover proposed for Epoch.
type Deny struct {
	Epoch uint64
	By    string
}

// Switchover is a human's request that the active region step down in
// order (deactivate, then release the lease).
type Switchover struct{ By string }

func (Tick) event()          {}
func (Reply) event()         {}
func (Lag) event()           {}
func (ActuatorsDone) event() {}
func (Approve) event()       {}
func (Deny) event()          {}
func (Switchover) event()    {}

func (Tick) String() string    { return "tick" }
func (r Reply) String() string { return fmt.Sprintf("reply #%d %s %s", r.Seq, r.Outcome, r.Lease) }
func (l Lag) String() string {
	if l.Unknown {
		return "lag unknown"
	}
	return "lag " + l.Lag.String()
}
func (a ActuatorsDone) String() string {
	return fmt.Sprintf("done %s epoch=%d", a.Op, a.Epoch)
}
func (a Approve) String() string    { return fmt.Sprintf("approve epoch=%d by=%s", a.Epoch, a.By) }
func (d Deny) String() string       { return fmt.Sprintf("deny epoch=%d by=%s", d.Epoch, d.By) }
func (s Switchover) String() string { return "switchover by=" + s.By }

func orNone(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
