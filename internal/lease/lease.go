// Package lease is the witness's decision core: what acquiring, renewing,
// releasing and reading a named lease does, as pure functions of (lease,
// request, now). It does no I/O and reads no clock; "now" is a reading of the
// witness's own clock, passed in, so the same rules serve the Go witness, the
// deterministic simulation and (ported) the Cloudflare Worker.
//
// The rules, in one place:
//   - Expiry is judged only by the witness clock, on every request; nothing
//     happens between requests.
//   - Every new grant gets a strictly higher epoch (the fencing token).
//   - A grant ends by expiry or release and never comes back: renewing an
//     ended grant answers Expired, and the holder must acquire a new epoch.
//   - Compare-and-set: renew and release name the holder and epoch they act
//     on; acquire may name the epoch it expects to replace (IfEpoch).
package lease

import (
	"fmt"
	"time"
)

// Lease is the witness's record of one named lease. The zero value (plus a
// name) is a lease that was never granted.
type Lease struct {
	Name string
	// Holder is the holder of the latest grant, kept after it ends so a
	// reader can see who held it last; Status says whether it is held now.
	Holder string
	// Epoch is the epoch of the latest grant; 0 means never granted.
	Epoch uint64
	// TTL is the time to live the latest grant asked for; each renewal
	// extends the lease by it.
	TTL time.Duration
	// ExpiresAt is on the witness clock.
	ExpiresAt time.Duration
	// Released is set when the holder gave the grant back.
	Released bool
}

// Status is what a lease is at one instant of the witness clock.
type Status string

const (
	// StatusFree: never granted.
	StatusFree Status = "free"
	// StatusHeld: granted and not yet expired.
	StatusHeld Status = "held"
	// StatusExpired: the latest grant ran out.
	StatusExpired Status = "expired"
	// StatusReleased: the latest holder gave the grant back.
	StatusReleased Status = "released"
)

// StatusAt judges the lease at now. A lease is held strictly before
// ExpiresAt; at ExpiresAt it has expired.
func (l Lease) StatusAt(now time.Duration) Status {
	switch {
	case l.Epoch == 0:
		return StatusFree
	case l.Released:
		return StatusReleased
	case now < l.ExpiresAt:
		return StatusHeld
	default:
		return StatusExpired
	}
}

// RemainingAt is how long the lease is still held at now (0 if not held).
func (l Lease) RemainingAt(now time.Duration) time.Duration {
	if l.StatusAt(now) != StatusHeld {
		return 0
	}
	return l.ExpiresAt - now
}

// Outcome is the typed answer to a request.
type Outcome string

const (
	// Granted: a new grant with a new, higher epoch.
	Granted Outcome = "granted"
	// Extended: the caller already held the lease (a retried acquire whose
	// answer was lost, or a restarted holder); same epoch, new expiry.
	Extended Outcome = "extended"
	// Renewed: the holder's grant was extended.
	Renewed Outcome = "renewed"
	// Released: the grant is given back (or was already over).
	Released Outcome = "released"
	// Read: the lease was read.
	Read Outcome = "read"
	// Conflict: another holder holds the lease, or the holder/epoch the
	// caller named is not the current one. Nothing changed.
	Conflict Outcome = "conflict"
	// Expired: the caller's grant has ended (expired or released); it must
	// acquire again and will get a new epoch. Nothing changed.
	Expired Outcome = "expired"
)

// Result is the answer to one request: the outcome, the lease after it, and
// for refusals a reason for humans.
type Result struct {
	Outcome Outcome
	Lease   Lease
	Reason  string
}

// AcquireRequest asks for a grant.
type AcquireRequest struct {
	Holder string
	TTL    time.Duration
	// IfEpoch, when set, makes the acquire a compare-and-set: it succeeds
	// only if the lease's current epoch is *IfEpoch (the grant the caller
	// saw end). A semi-automatic takeover uses it to act only on the epoch
	// a human approved.
	IfEpoch *uint64
}

// RenewRequest extends the caller's grant.
type RenewRequest struct {
	Holder string
	Epoch  uint64
}

// ReleaseRequest gives the caller's grant back.
type ReleaseRequest struct {
	Holder string
	Epoch  uint64
}

// Acquire grants the lease to req.Holder if no one else holds it at now.
// The caller must have validated req (see Limits.ValidateAcquire).
func Acquire(l Lease, req AcquireRequest, now time.Duration) (Lease, Result) {
	held := l.StatusAt(now) == StatusHeld
	mine := held && l.Holder == req.Holder
	if req.IfEpoch != nil && *req.IfEpoch != l.Epoch {
		// A retry of an acquire that already succeeded sees the epoch it
		// created; answer it as the grant it is, not as a conflict.
		if mine && l.Epoch == *req.IfEpoch+1 {
			return extend(l, req.TTL, now, Extended)
		}
		return l, refuse(l, Conflict, fmt.Sprintf("lease %q is at epoch %d, not the expected %d", l.Name, l.Epoch, *req.IfEpoch))
	}
	if mine {
		return extend(l, req.TTL, now, Extended)
	}
	if held {
		return l, refuse(l, Conflict, fmt.Sprintf("lease %q is held by %q at epoch %d", l.Name, l.Holder, l.Epoch))
	}
	next := Lease{
		Name:      l.Name,
		Holder:    req.Holder,
		Epoch:     l.Epoch + 1,
		TTL:       req.TTL,
		ExpiresAt: now + req.TTL,
	}
	return next, Result{Outcome: Granted, Lease: next}
}

// Renew extends the grant req names, if it is still the current grant and
// has not ended at now.
func Renew(l Lease, req RenewRequest, now time.Duration) (Lease, Result) {
	if req.Holder != l.Holder || req.Epoch != l.Epoch || l.Epoch == 0 {
		return l, refuse(l, Conflict, notCurrent(l, req.Holder, req.Epoch))
	}
	switch st := l.StatusAt(now); st {
	case StatusHeld:
		return extend(l, l.TTL, now, Renewed)
	default:
		return l, refuse(l, Expired, fmt.Sprintf("grant %d of lease %q is %s; acquire the lease again", l.Epoch, l.Name, st))
	}
}

// Release ends the grant req names. Releasing a grant that already ended is
// not an error (a retried release must not fail); releasing someone else's
// grant is a Conflict.
func Release(l Lease, req ReleaseRequest, now time.Duration) (Lease, Result) {
	if req.Holder != l.Holder || req.Epoch != l.Epoch || l.Epoch == 0 {
		return l, refuse(l, Conflict, notCurrent(l, req.Holder, req.Epoch))
	}
	if l.StatusAt(now) != StatusHeld {
		return l, Result{Outcome: Released, Lease: l}
	}
	next := l
	next.Released = true
	next.ExpiresAt = now
	return next, Result{Outcome: Released, Lease: next}
}

func extend(l Lease, ttl, now time.Duration, o Outcome) (Lease, Result) {
	next := l
	next.TTL = ttl
	next.ExpiresAt = now + ttl
	return next, Result{Outcome: o, Lease: next}
}

func refuse(l Lease, o Outcome, reason string) Result {
	return Result{Outcome: o, Lease: l, Reason: reason}
}

func notCurrent(l Lease, holder string, epoch uint64) string {
	if l.Epoch == 0 {
		return fmt.Sprintf("lease %q was never granted", l.Name)
	}
	return fmt.Sprintf("lease %q: the current grant is epoch %d to %q, not epoch %d to %q",
		l.Name, l.Epoch, l.Holder, epoch, holder)
}
