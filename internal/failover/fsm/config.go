package fsm

import (
	"fmt"
	"time"
)

// Mode says who may start a takeover.
type Mode string

const (
	// Automatic takes over as soon as the witness reports the lease expired
	// (unless the RPO guard asks for approval).
	Automatic Mode = "automatic"
	// SemiAutomatic proposes a takeover for a specific epoch; a human
	// approves that epoch.
	SemiAutomatic Mode = "semi-automatic"
	// Manual never proposes; a human names the epoch to take over.
	Manual Mode = "manual"
)

// Defaults, from OPENOVA.md §5.
const (
	DefaultRenewInterval = 10 * time.Second
	DefaultTTL           = 30 * time.Second
	DefaultRetryTimeout  = 5 * time.Second
	DefaultFenceMargin   = 3 * time.Second
	DefaultMaxClockDrift = 0.01
)

// Config is one region's failover timing and policy. Field names in errors
// match the FailoverGroup spec and the controller's flags.
type Config struct {
	// Region is this controller's name at the witness (the lease holder).
	Region string
	Mode   Mode
	// RenewInterval is how often the holder renews, and the standby's
	// slowest poll.
	RenewInterval time.Duration
	// TTL is the lease duration the witness grants.
	TTL time.Duration
	// RetryTimeout is how long one witness request may take before it is
	// counted as lost and retried.
	RetryTimeout time.Duration
	// FenceMargin is the time reserved for the actuators to fence before
	// the witness could hand the lease to someone else.
	FenceMargin time.Duration
	// MaxClockDrift bounds the rate error of this and the witness's clock
	// (0.01 = 1%); the local deadline shrinks by it.
	MaxClockDrift float64
	// MaxLag is the RPO bound: with a positive bound, automatic takeover
	// needs a last known replication lag at or under it, else it asks for
	// approval. Zero disables the guard.
	MaxLag time.Duration
}

// WithDefaults fills zero fields with the defaults.
func (c Config) WithDefaults() Config {
	if c.Mode == "" {
		c.Mode = Automatic
	}
	if c.RenewInterval == 0 {
		c.RenewInterval = DefaultRenewInterval
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.RetryTimeout == 0 {
		c.RetryTimeout = DefaultRetryTimeout
	}
	if c.FenceMargin == 0 {
		c.FenceMargin = DefaultFenceMargin
	}
	if c.MaxClockDrift == 0 {
		c.MaxClockDrift = DefaultMaxClockDrift
	}
	return c
}

// Validate reports the first unsafe or inconsistent field.
func (c Config) Validate() error {
	switch {
	case c.Region == "":
		return fmt.Errorf("region: must name this region (the lease holder at the witness)")
	case c.Mode != Automatic && c.Mode != SemiAutomatic && c.Mode != Manual:
		return fmt.Errorf("mode: %q is not one of automatic, semi-automatic, manual", c.Mode)
	case c.RenewInterval <= 0:
		return fmt.Errorf("renewInterval: must be positive, got %s", c.RenewInterval)
	case c.RetryTimeout <= 0:
		return fmt.Errorf("retryTimeout: must be positive, got %s", c.RetryTimeout)
	case c.FenceMargin <= 0:
		return fmt.Errorf("fenceMargin: must be positive, got %s", c.FenceMargin)
	case c.MaxClockDrift < 0 || c.MaxClockDrift >= 0.5:
		return fmt.Errorf("maxClockDrift: must be in [0, 0.5), got %g", c.MaxClockDrift)
	case c.MaxLag < 0:
		return fmt.Errorf("maxLag: must not be negative, got %s", c.MaxLag)
	}
	if sum := c.RenewInterval + 2*c.RetryTimeout; sum > c.TTL {
		return fmt.Errorf("ttl: renewInterval (%s) + 2 × retryTimeout (%s) = %s exceeds ttl (%s); raise ttl or shorten renewInterval/retryTimeout",
			c.RenewInterval, c.RetryTimeout, sum, c.TTL)
	}
	// One on-time renewal must keep the holder up, or it would fence
	// between renewals.
	if b, need := c.Budget(), c.RenewInterval+c.RetryTimeout; b <= need {
		return fmt.Errorf("fenceMargin: %s leaves a local deadline of %s after each renewal, not more than renewInterval + retryTimeout (%s); shorten fenceMargin or raise ttl",
			c.FenceMargin, b, need)
	}
	return nil
}

// Budget is how long after SENDING a renewal the witness later granted the
// holder may stay up. The witness starts the TTL when it receives the
// request (after we sent it) on its own clock; with both clocks' rates
// within MaxClockDrift, the lease lasts at least TTL/(1+d) real time, and
// a local span X is at most X/(1-d) real time, so X = TTL(1-d)/(1+d) is
// safe. FenceMargin is kept back for the fence itself to take effect.
func (c Config) Budget() time.Duration {
	d := c.MaxClockDrift
	return time.Duration(float64(c.TTL)*(1-d)/(1+d)) - c.FenceMargin
}
