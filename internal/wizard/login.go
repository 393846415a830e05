package wizard

import (
	"context"
	"time"
)

// LoginPolicy is the sign-in rate limit: MaxFailures failed sign-ins of one
// key (a user name or a client address), each within Window of the one
// before, lock that key out for Lockout after the last of them. The
// decisions are pure; the counters live in the Store (LoginThrottle), so
// every replica sees the same ones and a restart forgets none.
type LoginPolicy struct {
	MaxFailures int
	Window      time.Duration
	Lockout     time.Duration
}

// DefaultLoginPolicy is five failures, fifteen minutes.
var DefaultLoginPolicy = LoginPolicy{MaxFailures: 5, Window: 15 * time.Minute, Lockout: 15 * time.Minute}

// LoginCounter is one key's failed sign-ins: how many in the current run,
// and when the last one was.
type LoginCounter struct {
	Failures int
	Last     time.Time
}

// BlockedUntil returns when c's lockout ends, and whether it is still on
// at now.
func (p LoginPolicy) BlockedUntil(c LoginCounter, now time.Time) (time.Time, bool) {
	if c.Failures < p.MaxFailures {
		return time.Time{}, false
	}
	until := c.Last.Add(p.Lockout)
	return until, now.Before(until)
}

// RestartAt is the time a failure at now passes to RecordLoginFailure: a
// run whose last failure is at or before it is over, and counting starts
// again from one.
func (p LoginPolicy) RestartAt(now time.Time) time.Time { return now.Add(-p.Window) }

// StaleAt is the time before which (inclusive) a counter's last failure no
// longer matters: it can neither block nor be continued, so it is pruned.
func (p LoginPolicy) StaleAt(now time.Time) time.Time { return now.Add(-max(p.Window, p.Lockout)) }

// LoginThrottle keeps the failed sign-in counters. Keys are
// "user:<SHA-256 of the typed name>" and "ip:<client address>", never a
// password. Times are the caller's (injected) clock.
type LoginThrottle interface {
	// LoginFailures returns key's counter, the zero counter if it has none.
	LoginFailures(ctx context.Context, key string) (LoginCounter, error)
	// RecordLoginFailure adds one failure at at, in one atomic statement
	// (replicas count concurrently), starting a new run at one when the
	// last failure was at or before restartAt; it returns the new counter.
	RecordLoginFailure(ctx context.Context, key string, at, restartAt time.Time) (LoginCounter, error)
	// ResetLoginFailures forgets key's failures (a successful sign-in).
	ResetLoginFailures(ctx context.Context, key string) error
	// RefundLoginFailure takes back one failure of key, if it has any (a
	// sign-in counted before its password was checked proved right); the
	// last failure's time stays.
	RefundLoginFailure(ctx context.Context, key string) error
	// PruneLoginFailures deletes the counters whose last failure is at or
	// before staleAt and returns how many it deleted.
	PruneLoginFailures(ctx context.Context, staleAt time.Time) (int64, error)
}
