package sim

import (
	"math"
	"time"

	"github.com/openova-io/openova/internal/failover/fsm"
)

// node is one region's controller, with its clock, its faults and what it
// did, in real time.
type node struct {
	w     *world
	name  string
	m     *fsm.Machine
	clock clock
	cut   []interval // cut from the witness
	pause []interval // SIGSTOP
	death time.Duration

	wakeGen  uint64
	deadline time.Duration // local deadline as of the last step while holding
	epoch    uint64

	serving    []interval
	effects    []interval
	servingOn  bool
	effectOn   bool
	activeAt   time.Duration // first time ACTIVE after the death of the other
	wantActive time.Duration
}

func (n *node) dead(t time.Duration) bool { return n.death > 0 && t >= n.death }

// pausedUntil is the end of the pause covering t, or t.
func (n *node) pausedUntil(t time.Duration) time.Duration {
	for _, p := range n.pause {
		if t >= p.from && t < p.to {
			return p.to
		}
	}
	return t
}

// deliver hands ev to the machine at real time t, after any pause (a
// stopped process reads its socket when it resumes).
func (n *node) deliver(ev fsm.Event) {
	w := n.w
	if n.dead(w.now) {
		return
	}
	if until := n.pausedUntil(w.now); until > w.now {
		w.at(until, func() { n.deliver(ev) })
		return
	}
	before := n.m.Status()
	acts := n.m.Step(n.clock.local(w.now), ev)
	for _, a := range acts {
		n.act(a)
	}
	st := n.m.Status()
	if st.Epoch < before.Epoch {
		w.violate("%s: epoch went down from %d to %d", n.name, before.Epoch, st.Epoch)
	}
	if st.State.Holding() {
		n.deadline = st.Deadline
	}
	n.schedule()
}

func (n *node) schedule() {
	wake := n.m.NextWakeup()
	if wake == math.MaxInt64 {
		return
	}
	n.wakeGen++
	gen := n.wakeGen
	n.w.at(max(n.clock.real(wake), n.w.now+time.Millisecond), func() {
		if gen == n.wakeGen {
			n.deliver(fsm.Tick{})
		}
	})
}

// stopBy is when the region certainly stopped serving if it stopped at t:
// never later than its deadline (the watchdog).
func (n *node) stopBy(t time.Duration) time.Duration {
	return min(t, n.clock.real(n.deadline))
}

func (n *node) act(a fsm.Action) {
	w := n.w
	switch a := a.(type) {
	case fsm.Send:
		w.net.send(n, a)
	case fsm.Transition:
		n.transition(a)
	case fsm.Actuate:
		n.actuate(a)
	case fsm.Propose:
		w.operator(n, a.Epoch)
	case fsm.Note:
		if a.Kind == "lease-expired" {
			w.operator(n, a.Epoch)
		}
	}
}

func (n *node) transition(t fsm.Transition) {
	w := n.w
	switch {
	case !t.From.Holding() && t.To.Holding():
		n.servingOn = true
		n.epoch = t.Epoch
		n.serving = append(n.serving, interval{from: w.now, to: math.MaxInt64, epoch: t.Epoch})
		if len(n.w.nodes[0].serving)+len(n.w.nodes[1].serving) > 1 {
			w.res.Takeovers++
		}
	case t.From.Holding() && !t.To.Holding():
		n.servingOn = false
		n.serving[len(n.serving)-1].to = n.stopBy(w.now)
	}
	if t.To == fsm.Active && n.wantActive > 0 && w.now >= n.wantActive && n.activeAt == 0 {
		n.activeAt = w.now
	}
}

// actuate models the actuators: activation may take effect at once (the
// conservative reading); fencing takes up to actMax, which the fence
// margin must cover.
func (n *node) actuate(a fsm.Actuate) {
	w := n.w
	d := w.span(0, w.actMax)
	switch a.Op {
	case fsm.Activate:
		n.effectOn = true
		n.effects = append(n.effects, interval{from: w.now, to: math.MaxInt64, epoch: a.Epoch})
	default:
		if n.effectOn {
			n.effectOn = false
			n.effects[len(n.effects)-1].to = n.stopBy(w.now) + d
		}
	}
	w.at(w.now+d, func() { n.deliver(fsm.ActuatorsDone{Op: a.Op, Epoch: a.Epoch}) })
}

// finish closes open intervals at the end of the run or at death: a dead
// or frozen controller stops serving at its deadline (watchdog).
func (n *node) finish(end time.Duration) {
	if n.servingOn {
		n.serving[len(n.serving)-1].to = n.stopBy(end)
	}
	if n.effectOn {
		n.effects[len(n.effects)-1].to = n.stopBy(end) + n.w.actMax
	}
}
