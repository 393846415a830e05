package witness

import (
	"sync"
	"time"
)

// Clock is the witness clock that judges every lease: a duration that only
// moves forward, even across restarts. It resumes, after a restart, from
// the last reading made durable (see Store), so the time the witness was
// down counts as zero. That is the conservative direction: leases outlive
// their holders' own deadlines, never the reverse, whatever the wall clock
// did meanwhile (the wall clock is never read). See docs/witness-protocol.md.
type Clock struct {
	mu    sync.Mutex
	base  time.Duration
	mono0 time.Duration
	mono  func() time.Duration
	last  time.Duration
}

// NewClock resumes the witness clock at base, advancing with mono, a
// monotonic source (MonotonicSince in production, a fake in tests).
func NewClock(base time.Duration, mono func() time.Duration) *Clock {
	return &Clock{base: base, mono0: mono(), mono: mono, last: base}
}

// Now reads the witness clock.
func (c *Clock) Now() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.base + c.mono() - c.mono0
	if now < c.last { // a misbehaving source must not move it back
		now = c.last
	}
	c.last = now
	return now
}

// MonotonicSince returns a source of process-monotonic elapsed time:
// time.Since uses the monotonic clock reading, never the wall clock.
func MonotonicSince() func() time.Duration {
	start := time.Now()
	return func() time.Duration { return time.Since(start) }
}
