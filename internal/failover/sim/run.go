package sim

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/openova-io/openova/internal/failover/fsm"
	"github.com/openova-io/openova/internal/lease"
)

// Timing is the controllers' shared timing (modes are drawn per run).
type Timing struct {
	RenewInterval, TTL, RetryTimeout, FenceMargin time.Duration
	MaxClockDrift                                 float64
}

// Default is OPENOVA.md's timing; Short is the test-speed timing.
var (
	Default = Timing{10 * time.Second, 30 * time.Second, 5 * time.Second, 3 * time.Second, 0.01}
	Short   = Timing{time.Second, 3 * time.Second, 500 * time.Millisecond, 300 * time.Millisecond, 0.01}
)

func newWorld(seed uint64, t Timing) *world {
	w := &world{rng: rand.New(rand.NewPCG(seed, 0xfa110e7)), res: Result{Seed: seed}}
	w.cfg = fsm.Config{RenewInterval: t.RenewInterval, TTL: t.TTL, RetryTimeout: t.RetryTimeout,
		FenceMargin: t.FenceMargin, MaxClockDrift: t.MaxClockDrift}
	// Fencing must finish inside the margin.
	w.actMax = t.FenceMargin * 2 / 3
	w.net = network{w: w, minDelay: time.Millisecond, maxDelay: w.span(2*time.Millisecond, t.RetryTimeout*3/2),
		drop: w.rng.Float64() * 0.3, dup: w.rng.Float64() * 0.1}
	w.witness = witness{clock: w.skewed(t.MaxClockDrift), lease: lease.Lease{Name: "failover"}}
	return w
}

// skewed draws a clock whose rate is within the drift bound.
func (w *world) skewed(drift float64) clock {
	return clock{offset: w.span(0, time.Hour), rate: 1 + drift*(2*w.rng.Float64()-1)}
}

func (w *world) addNode(i int, name string, mode fsm.Mode, maxLag time.Duration) *node {
	cfg := w.cfg
	cfg.Region, cfg.Mode, cfg.MaxLag = name, mode, maxLag
	m, err := fsm.New(cfg)
	if err != nil {
		panic(err) // the timings above are valid by construction
	}
	n := &node{w: w, name: name, m: m, clock: w.skewed(cfg.MaxClockDrift)}
	w.nodes[i] = n
	return n
}

// operator answers a proposal like a human would: usually approving the
// right epoch after a while, sometimes denying, sometimes naming the
// wrong epoch.
func (w *world) operator(n *node, epoch uint64) {
	delay := w.span(500*time.Millisecond, 3*w.cfg.TTL/2)
	var ev fsm.Event
	switch r := w.rng.IntN(100); {
	case r < 75:
		ev = fsm.Approve{Epoch: epoch, By: "operator"}
	case r < 85:
		ev = fsm.Approve{Epoch: epoch + uint64(w.rng.IntN(3)) - 1, By: "operator"}
	default:
		ev = fsm.Deny{Epoch: epoch, By: "operator"}
	}
	w.at(w.now+delay, func() { n.deliver(ev) })
}

// lagFeed reports random replication lag to n every few seconds.
func (w *world) lagFeed(n *node, bound time.Duration, until time.Duration) {
	var tick func()
	tick = func() {
		n.deliver(fsm.Lag{Lag: w.span(0, 2*bound)})
		if w.now < until {
			w.at(w.now+w.span(time.Second, 5*time.Second), tick)
		}
	}
	w.at(w.span(0, time.Second), tick)
}

// Run simulates one random schedule of faults for the given seed.
func Run(seed uint64, t Timing) Result { return runSchedule(newWorld(seed, t), t) }

func runSchedule(w *world, t Timing) Result {
	end := 40 * t.TTL
	for i, name := range []string{"a", "b"} {
		mode, maxLag := fsm.Automatic, time.Duration(0)
		switch r := w.rng.IntN(10); {
		case r < 2:
			mode = fsm.SemiAutomatic
		case r < 3:
			mode = fsm.Manual
		case r < 5:
			maxLag = t.TTL / 3
		}
		n := w.addNode(i, name, mode, maxLag)
		if maxLag > 0 {
			w.lagFeed(n, maxLag, end)
		}
	}
	w.faults(end)
	for _, n := range w.nodes {
		w.at(w.span(0, t.RenewInterval), func() { n.deliver(fsm.Tick{}) })
	}
	w.run(end)
	return w.judge(end)
}

// faults injects up to five faults: cuts from the witness (one side or
// both), pauses longer or shorter than the TTL, witness restarts, and at
// most one permanent death.
func (w *world) faults(end time.Duration) {
	died := false
	for range w.rng.IntN(6) {
		from := w.span(0, end*3/4)
		iv := interval{from: from, to: from + w.span(0, 3*w.cfg.TTL)}
		n := w.nodes[w.rng.IntN(2)]
		var what string
		switch w.rng.IntN(6) {
		case 0:
			n.cut = append(n.cut, iv)
			what = n.name + " cut from the witness"
		case 1:
			w.nodes[0].cut = append(w.nodes[0].cut, iv)
			w.nodes[1].cut = append(w.nodes[1].cut, iv)
			what = "both cut from the witness"
		case 2, 3:
			n.pause = append(n.pause, iv)
			what = n.name + " paused"
		case 4:
			w.witness.down = append(w.witness.down, iv)
			what = "witness down"
		case 5:
			if died {
				continue
			}
			died = true
			n.death = iv.from
			w.at(iv.from, func() { n.finish(w.now) })
			what = n.name + " dies"
			iv.to = end
		}
		w.res.Faults = append(w.res.Faults, fmt.Sprintf("%s [%s, %s)", what, iv.from, iv.to))
	}
}

// judge checks the invariants over the whole run.
func (w *world) judge(end time.Duration) Result {
	a, b := w.nodes[0], w.nodes[1]
	for _, n := range w.nodes {
		if !n.dead(end) {
			n.finish(end)
		}
	}
	for _, x := range a.serving {
		for _, y := range b.serving {
			if x.from < y.to && y.from < x.to {
				w.res.SplitBrain++
				w.violate("a serving [%s, %s) at epoch %d overlaps b serving [%s, %s) at epoch %d", x.from, x.to, x.epoch, y.from, y.to, y.epoch)
			}
			if x.epoch == y.epoch {
				w.violate("a and b both served epoch %d", x.epoch)
			}
		}
	}
	for _, x := range a.effects {
		for _, y := range b.effects {
			if x.from < y.to && y.from < x.to {
				w.res.EffectOverlap++
				w.violate("a effects [%s, %s) overlap b effects [%s, %s)", x.from, x.to, y.from, y.to)
			}
		}
	}
	return w.res
}

// RunDeath measures the RTO: a becomes active, dies at a random moment,
// and b (automatic) takes over with a healthy network.
func RunDeath(seed uint64, t Timing) Result {
	w := newWorld(seed, t)
	w.net.drop, w.net.dup, w.net.maxDelay = 0, 0, 50*time.Millisecond
	a := w.addNode(0, "a", fsm.Automatic, 0)
	b := w.addNode(1, "b", fsm.Automatic, 0)
	w.at(0, func() { a.deliver(fsm.Tick{}) })
	w.at(t.TTL, func() { b.deliver(fsm.Tick{}) })
	a.death = 3*t.TTL + w.span(0, 2*t.RenewInterval)
	w.at(a.death, func() { a.finish(w.now) })
	b.wantActive = a.death
	end := a.death + 4*t.TTL
	w.run(end)
	res := w.judge(end)
	if b.activeAt > 0 {
		res.RTO = b.activeAt - a.death
	}
	return res
}
