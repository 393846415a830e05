package controller

import (
	"context"
	"errors"
	"time"

	"github.com/openova-io/openova/internal/failover/actuator"
	"github.com/openova-io/openova/internal/failover/fsm"
)

// actuate carries out actuations one at a time, in order. A newer order
// cancels the one in progress (a fence must not wait behind an activation
// that keeps failing). Each actuator is retried until it succeeds or a
// newer term owns its object (ErrStaleEpoch).
func (r *Runner) actuate(ctx context.Context) {
	var cur fsm.Actuate
	var cancel context.CancelFunc = func() {}
	done := make(chan fsm.Actuate, 1)
	for {
		select {
		case <-ctx.Done():
			cancel()
			return
		case a := <-r.work:
			cancel()
			var actx context.Context
			actx, cancel = context.WithCancel(ctx)
			cur = a
			go func() {
				if r.apply(actx, a) {
					done <- a
				}
			}()
		case a := <-done:
			if a == cur {
				_ = r.Inject(ctx, fsm.ActuatorsDone{Op: a.Op, Epoch: a.Epoch})
			}
		}
	}
}

// apply runs every actuator for a; false if it was cancelled first.
func (r *Runner) apply(ctx context.Context, a fsm.Actuate) bool {
	for _, act := range r.acts {
		for attempt := 0; ; attempt++ {
			err := r.call(ctx, act, a)
			if err == nil || errors.Is(err, actuator.ErrStaleEpoch) {
				if err != nil {
					r.log.Warn("actuation superseded by a newer term", "actuator", act.Name(), "op", a.Op.String(), "error", err)
				}
				r.metrics.actuations.WithLabelValues(a.Op.String(), outcome(err)).Inc()
				break
			}
			r.metrics.actuations.WithLabelValues(a.Op.String(), "error").Inc()
			r.log.Error("actuation failed; retrying", "actuator", act.Name(), "op", a.Op.String(), "epoch", a.Epoch, "attempt", attempt, "error", err)
			select {
			case <-ctx.Done():
				return false
			case <-time.After(min(100*time.Millisecond<<min(attempt, 5), 2*time.Second)):
			}
		}
	}
	return ctx.Err() == nil
}

func (r *Runner) call(ctx context.Context, act actuator.Actuator, a fsm.Actuate) error {
	ctx, cancel := context.WithTimeout(ctx, r.m.Config().RetryTimeout)
	defer cancel()
	switch a.Op {
	case fsm.Activate:
		return act.Activate(ctx, a.Epoch)
	case fsm.Deactivate:
		return act.Deactivate(ctx, a.Epoch)
	default:
		return act.Fence(ctx, a.Epoch)
	}
}

// fenceOnExit fences with a fresh context when the controller stops while
// holding, bounded by the fence margin.
func (r *Runner) fenceOnExit(epoch uint64) {
	ctx, cancel := context.WithTimeout(context.Background(), r.m.Config().FenceMargin)
	defer cancel()
	for _, act := range r.acts {
		if err := act.Fence(ctx, epoch); err != nil {
			r.log.Error("fence on exit failed", "actuator", act.Name(), "error", err)
		}
	}
}

func outcome(err error) string {
	if err != nil {
		return "stale"
	}
	return "ok"
}
