// Package sim is a deterministic simulation of two failover controllers
// and one witness: the real state machine (internal/failover/fsm) and the
// real lease rules (internal/lease) over a network that drops, delays,
// duplicates and partitions, with clocks that run at skewed rates,
// processes that pause or die, and operators who approve, deny or get the
// epoch wrong. Everything is driven by one seeded generator, so a failing
// seed replays exactly.
//
// Safety is judged on real (simulated) time: the intervals during which
// each region serves must never overlap. A region serves from the grant
// until it leaves the holding states, and never past its local deadline:
// a paused or dead controller is stopped by the watchdog the deployment
// runs beside it (the gate's readiness probe asks the controller, so a
// frozen controller reads as not ready). Effects are judged the same way
// with actuator latency added: on from the activate order, off when the
// fence completes.
package sim

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/openova-io/openova/internal/failover/fsm"
	"github.com/openova-io/openova/internal/lease"
)

// Result is what one run observed.
type Result struct {
	Seed uint64
	// SplitBrain counts pairs of overlapping serving intervals of the two
	// regions; EffectOverlap the same on actuator effects. Both must be 0.
	SplitBrain, EffectOverlap int
	// Violations describes every broken invariant.
	Violations []string
	// Takeovers counts grants after the first.
	Takeovers int
	// RTO is, in death runs, the time from the active's death to the
	// other region ACTIVE; zero if it never got there.
	RTO time.Duration
	// Faults lists the injected faults, for the failure report.
	Faults []string
}

type interval struct {
	from, to time.Duration
	epoch    uint64
}

type event struct {
	at  time.Duration
	seq uint64
	fn  func()
}

type queue []*event

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	return q[i].at < q[j].at || q[i].at == q[j].at && q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*event)) }
func (q *queue) Pop() (x any) { x, *q = (*q)[len(*q)-1], (*q)[:len(*q)-1]; return x }

// world is one run.
type world struct {
	rng     *rand.Rand
	q       queue
	seq     uint64
	now     time.Duration
	cfg     fsm.Config
	nodes   [2]*node
	witness witness
	net     network
	actMax  time.Duration
	res     Result
}

func (w *world) at(t time.Duration, fn func()) {
	w.seq++
	heap.Push(&w.q, &event{at: max(t, w.now), seq: w.seq, fn: fn})
}

func (w *world) run(until time.Duration) {
	for w.q.Len() > 0 {
		e := heap.Pop(&w.q).(*event)
		if e.at > until {
			break
		}
		w.now = e.at
		e.fn()
	}
	w.now = until
}

func (w *world) violate(format string, a ...any) {
	w.res.Violations = append(w.res.Violations, fmt.Sprintf("t=%s: ", w.now)+fmt.Sprintf(format, a...))
}

// span draws a duration in [lo, hi).
func (w *world) span(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(w.rng.Int64N(int64(hi-lo)))
}

// clock is a local clock: offset + rate × real time.
type clock struct {
	offset time.Duration
	rate   float64
}

func (c clock) local(real time.Duration) time.Duration {
	return c.offset + time.Duration(c.rate*float64(real))
}

// real is the first real time at which the local clock reads at least l.
func (c clock) real(l time.Duration) time.Duration {
	return time.Duration(float64(l-c.offset)/c.rate) + 1
}

type witness struct {
	clock clock
	lease lease.Lease
	down  []interval
}

func inAny(ivs []interval, t time.Duration) bool {
	for _, iv := range ivs {
		if t >= iv.from && t < iv.to {
			return true
		}
	}
	return false
}
