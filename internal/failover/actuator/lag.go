package actuator

import (
	"context"
	"time"
)

// LagSource measures, from the standby side, how far one replicated store
// trails its primary. The controller feeds the worst reading of all its
// sources to the RPO guard.
type LagSource interface {
	Name() string
	// Lag returns the current reading. An error means the source could not
	// vouch for the lag at all; the caller treats it as unknown.
	Lag(ctx context.Context) (LagReading, error)
}

// LagReading is one lag measurement.
type LagReading struct {
	// Lag is meaningful only when Known.
	Lag   time.Duration
	Known bool
	// Held says the source cannot measure right now (the primary is
	// unreachable or the replication link is down) and reports the last
	// lag it measured, which is the data at risk if the primary is gone.
	Held bool
	// Detail is for humans: what was measured.
	Detail string
}
