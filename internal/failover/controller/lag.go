package controller

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/openova-io/openova/internal/failover/actuator"
	"github.com/openova-io/openova/internal/failover/fsm"
)

// DefaultLagInterval is how often the lag sources are read.
const DefaultLagInterval = 5 * time.Second

// WorstLag reads every source and returns the event for the RPO guard:
// the largest lag, or unknown if any source errs or cannot vouch for its
// lag (a store we cannot see must not let an automatic takeover through).
// detail says what each source reported, for logs.
func WorstLag(ctx context.Context, sources []actuator.LagSource) (ev fsm.Lag, detail string) {
	var parts []string
	for _, s := range sources {
		r, err := s.Lag(ctx)
		switch {
		case err != nil:
			ev.Unknown = true
			parts = append(parts, fmt.Sprintf("%s: unknown: %v", s.Name(), err))
		case !r.Known:
			ev.Unknown = true
			parts = append(parts, fmt.Sprintf("%s: unknown: %s", s.Name(), r.Detail))
		default:
			ev.Lag = max(ev.Lag, r.Lag)
			parts = append(parts, fmt.Sprintf("%s: %s", s.Name(), r.Detail))
		}
	}
	if ev.Unknown {
		ev.Lag = 0
	}
	return ev, strings.Join(parts, "; ")
}

// pollLag feeds WorstLag to the machine every interval until ctx ends,
// logging when the guard's input turns known or unknown.
func (r *Runner) pollLag(ctx context.Context) {
	t := time.NewTicker(r.lagInterval)
	defer t.Stop()
	first, wasUnknown := true, false
	for {
		rctx, cancel := context.WithTimeout(ctx, r.lagInterval)
		ev, detail := WorstLag(rctx, r.lagSources)
		cancel()
		if first || ev.Unknown != wasUnknown {
			level := slog.LevelInfo
			if ev.Unknown {
				level = slog.LevelWarn
			}
			r.log.Log(ctx, level, "replication lag", "lag", ev.String(), "sources", detail)
		}
		first, wasUnknown = false, ev.Unknown
		if r.Inject(ctx, ev) != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
