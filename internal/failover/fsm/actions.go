package fsm

import (
	"fmt"
	"time"
)

// Action is an output the shell carries out.
type Action interface{ action() }

// RequestKind is the witness operation to send.
type RequestKind int

const (
	Read RequestKind = iota
	Acquire
	Renew
	Release
)

func (k RequestKind) String() string {
	return [...]string{"read", "acquire", "renew", "release"}[k]
}

// Send asks the shell to send one witness request. Epoch is the epoch the
// request compares against: for acquire the last epoch seen (the grant
// will be higher), for renew and release the epoch held. The shell answers
// with a Reply carrying Seq, or not at all (the machine times it out).
type Send struct {
	Seq   uint64
	Kind  RequestKind
	Epoch uint64
}

// ActuatorOp is what the actuators must do.
type ActuatorOp int

const (
	// Activate makes this region serve (gate ready, primary, ...).
	Activate ActuatorOp = iota
	// Deactivate steps down in order for a planned switchover.
	Deactivate
	// Fence stops serving at once because the lease may be lost.
	Fence
)

func (o ActuatorOp) String() string {
	return [...]string{"activate", "deactivate", "fence"}[o]
}

// Actuate asks the shell to run every actuator for Epoch; the shell reports
// completion with ActuatorsDone and retries failures itself.
type Actuate struct {
	Op    ActuatorOp
	Epoch uint64
}

// Transition is evidence: the state changed. Lag is the replication lag
// known at a takeover (the RPO), negative when unknown.
type Transition struct {
	From, To State
	Epoch    uint64
	Reason   string
	Lag      time.Duration
}

// Propose asks a human to approve a takeover at Epoch.
type Propose struct {
	Epoch  uint64
	Lag    time.Duration
	Reason string
}

// Note is evidence that is not a transition: an approval, a denial, a
// refused command, a withdrawn proposal.
type Note struct {
	Kind   string
	Epoch  uint64
	By     string
	Detail string
}

func (Send) action()       {}
func (Actuate) action()    {}
func (Transition) action() {}
func (Propose) action()    {}
func (Note) action()       {}

func (s Send) String() string {
	if s.Kind == Read {
		return fmt.Sprintf("send #%d read", s.Seq)
	}
	return fmt.Sprintf("send #%d %s epoch=%d", s.Seq, s.Kind, s.Epoch)
}
func (a Actuate) String() string { return fmt.Sprintf("actuate %s epoch=%d", a.Op, a.Epoch) }
func (t Transition) String() string {
	s := fmt.Sprintf("transition %s -> %s epoch=%d reason=%q", t.From, t.To, t.Epoch, t.Reason)
	if t.Lag >= 0 {
		s += " lag=" + t.Lag.String()
	}
	return s
}
func (p Propose) String() string {
	return fmt.Sprintf("propose epoch=%d lag=%s reason=%q", p.Epoch, lagString(p.Lag), p.Reason)
}
func (n Note) String() string {
	s := fmt.Sprintf("note %s epoch=%d", n.Kind, n.Epoch)
	if n.By != "" {
		s += " by=" + n.By
	}
	if n.Detail != "" {
		s += fmt.Sprintf(" %q", n.Detail)
	}
	return s
}

func lagString(l time.Duration) string {
	if l < 0 {
		return "unknown"
	}
	return l.String()
}
