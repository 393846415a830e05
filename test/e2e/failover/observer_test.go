package failover_test

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// observer samples both regions' effects every 50 ms from their API
// servers, and what a readiness probe on each controller's /ready sees.
// Two reads are a few milliseconds apart, not atomic; a takeover happens
// at least the fence margin (0.5 s) after the old holder's deadline, far
// more than that gap.
type observer struct {
	regions [2]*region

	mu      sync.Mutex
	samples int
	errors  int
	// overlaps: both regions' gate ready, or both CNPG Clusters primary,
	// in one sample, with neither controller frozen.
	gateOverlap, pgOverlap int
	// frozenStale: the same, but one region's controller was SIGSTOPped:
	// its API server still shows the effects it set before it froze,
	// because nothing there can remove them (no kubelet runs here).
	frozenStale      int
	frozenStaleSince time.Time
	frozenStaleTotal time.Duration
	// readyOverlap: both controllers' /ready answered 200.
	readyOverlap int
	first        []string // the first overlapping samples, for the failure message
}

func (o *observer) run(ctx context.Context) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			o.sample(ctx)
		}
	}
}

func (o *observer) sample(ctx context.Context) {
	var gate, pg, ready, frozen [2]bool
	for i, r := range o.regions {
		rctx, cancel := context.WithTimeout(ctx, time.Second)
		g, p, err := r.effects(rctx)
		cancel()
		if err != nil {
			o.mu.Lock()
			o.errors++
			o.mu.Unlock()
			return
		}
		gate[i], pg[i], frozen[i] = g, p, r.isFrozen()
	}
	for i, r := range o.regions {
		ready[i] = r.ready()
	}
	now := time.Now()
	o.mu.Lock()
	defer o.mu.Unlock()
	o.samples++
	both := (gate[0] && gate[1]) || (pg[0] && pg[1])
	switch {
	case both && (frozen[0] || frozen[1]):
		o.frozenStale++
		if o.frozenStaleSince.IsZero() {
			o.frozenStaleSince = now
		}
	case both:
		if len(o.first) < 5 {
			o.first = append(o.first, fmt.Sprintf("%s gate=%v cnpg=%v", now.Format("15:04:05.000"), gate, pg))
		}
		if gate[0] && gate[1] {
			o.gateOverlap++
		}
		if pg[0] && pg[1] {
			o.pgOverlap++
		}
	}
	if !both && !o.frozenStaleSince.IsZero() {
		o.frozenStaleTotal += now.Sub(o.frozenStaleSince)
		o.frozenStaleSince = time.Time{}
	}
	if ready[0] && ready[1] {
		o.readyOverlap++
		if len(o.first) < 5 {
			o.first = append(o.first, now.Format("15:04:05.000")+" both /ready")
		}
	}
}

type observation struct {
	samples, errors, gateOverlap, pgOverlap, frozenStale, readyOverlap int
	frozenStaleTotal                                                   time.Duration
	first                                                              []string
}

func (o *observer) result() observation {
	o.mu.Lock()
	defer o.mu.Unlock()
	return observation{o.samples, o.errors, o.gateOverlap, o.pgOverlap, o.frozenStale, o.readyOverlap, o.frozenStaleTotal, o.first}
}
