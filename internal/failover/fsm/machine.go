package fsm

import (
	"fmt"
	"math"
	"time"
)

// Machine is one region's failover decision core. It does no I/O and
// reads no clock: Step takes the local monotonic time and an event and
// returns the actions to carry out. Not safe for concurrent use.
type Machine struct {
	cfg    Config
	budget time.Duration
	now    time.Duration
	state  State

	epoch    uint64 // held epoch; the last one held when not holding
	maxEpoch uint64 // highest epoch seen anywhere
	view     Lease  // last lease view from the witness
	viewSeq  uint64 // seq of the reply the view came from

	deadline time.Duration // fence at; meaningful while holding
	renewed  time.Duration // send time of the last granted renewal

	seq     uint64
	pending []pending
	sendAt  time.Duration

	proposal uint64 // epoch proposed, awaiting approval
	approved uint64 // epoch a human approved; acquire may be sent
	denied   uint64 // epoch a human denied; never proposed again
	yielded  uint64 // epoch released by a switchover; not retaken on our own
	didYield bool
	noted    uint64 // epoch a manual-mode expiry note was made for

	lag      time.Duration
	lagKnown bool
}

type pending struct {
	seq   uint64
	kind  RequestKind
	epoch uint64
	sent  time.Duration
	lost  bool // timed out; retried, but a late reply still counts
	// approval is the approved epoch an acquire was sent under; zero
	// when sent on automatic authority.
	approval uint64
}

// New returns a machine in STANDBY. cfg is defaulted and validated.
func New(cfg Config) (*Machine, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Machine{cfg: cfg, budget: cfg.Budget()}, nil
}

// Config returns the effective configuration.
func (m *Machine) Config() Config { return m.cfg }

// Status returns a snapshot.
func (m *Machine) Status() Status {
	s := Status{Region: m.cfg.Region, State: m.state, Epoch: max(m.epoch, m.maxEpoch), Holder: m.view.Holder, Proposal: m.proposal, Lag: -1}
	if m.state.Holding() {
		s.Deadline, s.LastRenewalSent = m.deadline, m.renewed
	}
	if m.state != AwaitingApproval {
		s.Proposal = 0
	}
	if m.lagKnown {
		s.Lag = m.lag
	}
	return s
}

// NextWakeup is the latest local time the shell should call Step with a
// Tick, so no deadline, retry or poll is missed (math.MaxInt64: only an
// event can move the machine on).
func (m *Machine) NextWakeup() time.Duration {
	t := time.Duration(math.MaxInt64)
	if m.state != Fenced && !m.inFlight() {
		t = m.sendAt
	}
	for _, p := range m.pending {
		if p.kind != Release && !p.lost {
			t = min(t, p.sent+m.cfg.RetryTimeout)
		}
	}
	if m.state.Holding() {
		t = min(t, m.deadline)
	}
	return max(t, m.now)
}

// Step advances the machine to now (a monotonic reading; a smaller value
// than the last is treated as no time passing), applies ev, and returns
// the actions to carry out, in order.
func (m *Machine) Step(now time.Duration, ev Event) []Action {
	if now > m.now {
		m.now = now
	}
	var out []Action
	switch ev := ev.(type) {
	case Tick:
	case Reply:
		out = m.reply(ev, out)
	case Lag:
		m.lag, m.lagKnown = ev.Lag, !ev.Unknown
	case ActuatorsDone:
		out = m.actuated(ev, out)
	case Approve:
		out = m.approve(ev, out)
	case Deny:
		out = m.deny(ev, out)
	case Switchover:
		out = m.switchover(ev, out)
	default:
		panic(fmt.Sprintf("fsm: unknown event %T", ev))
	}
	return m.timers(out)
}

// timers fences at the deadline and sends the next request when due.
func (m *Machine) timers(out []Action) []Action {
	if m.state.Holding() && m.now >= m.deadline {
		out = m.fence("local deadline passed without a confirmed renewal", out)
	}
	m.prune()
	for i, p := range m.pending {
		if p.kind != Release && !p.lost && m.now-p.sent >= m.cfg.RetryTimeout {
			m.pending[i].lost = true
			m.retry(p)
		}
	}
	if m.inFlight() || m.now < m.sendAt {
		return out
	}
	kind, epoch, ok := m.want()
	if !ok {
		return out
	}
	return append(out, m.send(kind, epoch))
}

// want is the request the current state needs next.
func (m *Machine) want() (RequestKind, uint64, bool) {
	switch m.state {
	case FailingOver, Active, Demoting:
		return Renew, m.epoch, true
	case Fenced:
		return 0, 0, false
	}
	if m.viewSeq > 0 && !m.view.Held && m.view.Epoch >= m.maxEpoch && m.mayAcquire() {
		return Acquire, m.view.Epoch, true
	}
	return Read, 0, true
}

func (m *Machine) send(kind RequestKind, epoch uint64) Send {
	m.seq++
	p := pending{seq: m.seq, kind: kind, epoch: epoch, sent: m.now}
	if kind == Acquire && m.approved == epoch+1 {
		p.approval = m.approved
	}
	m.pending = append(m.pending, p)
	m.sendAt = m.now + m.cfg.RenewInterval
	return Send{Seq: m.seq, Kind: kind, Epoch: epoch}
}

// inFlight reports a request still within its retry timeout.
func (m *Machine) inFlight() bool {
	for _, p := range m.pending {
		if p.kind != Release && m.now-p.sent < m.cfg.RetryTimeout {
			return true
		}
	}
	return false
}

// prune forgets requests whose replies could no longer matter: a grant
// sent longer than the budget ago extends nothing.
func (m *Machine) prune() {
	keep := m.pending[:0]
	for _, p := range m.pending {
		if m.now-p.sent < m.budget {
			keep = append(keep, p)
		}
	}
	m.pending = keep
}

// retry schedules the next attempt after p failed or was lost.
func (m *Machine) retry(p pending) {
	m.sendAt = min(m.sendAt, p.sent+m.cfg.RetryTimeout)
}

func (m *Machine) take(seq uint64) (pending, bool) {
	for i, p := range m.pending {
		if p.seq == seq {
			m.pending = append(m.pending[:i], m.pending[i+1:]...)
			return p, true
		}
	}
	return pending{}, false
}

func (m *Machine) transition(to State, reason string, out []Action) []Action {
	from := m.state
	m.state = to
	lag := time.Duration(-1)
	if m.lagKnown {
		lag = m.lag
	}
	return append(out, Transition{From: from, To: to, Epoch: max(m.epoch, m.maxEpoch), Reason: reason, Lag: lag})
}

func (m *Machine) fence(reason string, out []Action) []Action {
	out = m.transition(Fenced, reason, out)
	return append(out, Actuate{Op: Fence, Epoch: m.epoch})
}
