package sim

import (
	"time"

	"github.com/openova-io/openova/internal/failover/fsm"
	"github.com/openova-io/openova/internal/failover/wire"
	"github.com/openova-io/openova/internal/lease"
)

// network carries requests and replies between the controllers and the
// witness.
type network struct {
	w                  *world
	drop, dup          float64
	minDelay, maxDelay time.Duration
}

func (n *network) lost(from *node, t time.Duration) bool {
	return inAny(from.cut, t) || n.w.rng.Float64() < n.drop
}

func (n *network) send(from *node, s fsm.Send) {
	w := n.w
	if n.lost(from, w.now) {
		return
	}
	w.at(w.now+w.span(n.minDelay, n.maxDelay), func() {
		if inAny(w.witness.down, w.now) || inAny(from.cut, w.now) {
			return
		}
		r := w.witness.handle(from.name, s, w.cfg.TTL, w.now)
		copies := 1
		if w.rng.Float64() < n.dup {
			copies = 2
		}
		for range copies {
			if n.lost(from, w.now) {
				continue
			}
			w.at(w.now+w.span(n.minDelay, n.maxDelay), func() {
				if !inAny(from.cut, w.now) {
					from.deliver(r)
				}
			})
		}
	})
}

// handle answers one request with the pure lease rules on the witness's
// own clock, shaped as the HTTP client would return it.
func (wt *witness) handle(holder string, s fsm.Send, ttl time.Duration, real time.Duration) fsm.Reply {
	now := wt.clock.local(real)
	var res lease.Result
	switch s.Kind {
	case fsm.Read:
		res = lease.Result{Outcome: lease.Read, Lease: wt.lease}
	case fsm.Acquire:
		e := s.Epoch
		wt.lease, res = lease.Acquire(wt.lease, lease.AcquireRequest{Holder: holder, TTL: ttl, IfEpoch: &e}, now)
	case fsm.Renew:
		wt.lease, res = lease.Renew(wt.lease, lease.RenewRequest{Holder: holder, Epoch: s.Epoch}, now)
	case fsm.Release:
		wt.lease, res = lease.Release(wt.lease, lease.ReleaseRequest{Holder: holder, Epoch: s.Epoch}, now)
	}
	view := lease.ViewAt(res.Lease, now)
	if code := lease.CodeOf(res.Outcome); code != "" {
		return wire.Reply(s.Seq, lease.Reply{}, wire.Refusal(s.Kind.String(), res, view))
	}
	return wire.Reply(s.Seq, lease.Reply{Outcome: res.Outcome, Lease: &view}, nil)
}
