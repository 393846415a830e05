package controller

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/openova-io/openova/internal/failover/actuator"
	"github.com/openova-io/openova/internal/failover/fsm"
)

// actuate carries out actuations one at a time, in order. A newer order
// cancels the one in progress (a fence must not wait behind an activation
// that keeps failing). Each actuator is retried until it succeeds or a
// newer term owns its object (ErrStaleEpoch).
func (r *Runner) actuate(ctx context.Context) {
	r.fenceLeftovers(ctx)
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

// ActuatorResult is one actuator's outcome for one order: Err is nil on
// success, wraps actuator.ErrStaleEpoch when a newer term owns the object,
// and is otherwise the first failure of a run that keeps retrying.
type ActuatorResult struct {
	Order    fsm.Actuate
	Actuator string
	Err      error
}

// apply runs every actuator for a; false if it was cancelled first. An
// activation first catches up on a pending step-down, so a region that
// learnt the peer held a newer epoch marks its old primary for rebuild
// before it could ever promote it again.
func (r *Runner) apply(ctx context.Context, a fsm.Actuate) bool {
	if a.Op == fsm.Activate {
		if e := r.pendingStepDown(); e > 0 && e < a.Epoch {
			if !r.applyAll(ctx, fsm.Actuate{Op: fsm.Deactivate, Epoch: e}) {
				return false
			}
		}
	}
	return r.applyAll(ctx, a)
}

func (r *Runner) pendingStepDown() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stepDown > r.steppedDown {
		return r.stepDown
	}
	return 0
}

// ordered is the actuators in the order op needs: activation goes from
// data to traffic (the external gate opens last), fencing and
// deactivation from traffic to data (the gate closes first).
func (r *Runner) ordered(op fsm.ActuatorOp) []actuator.Actuator {
	if op == fsm.Activate {
		return r.acts
	}
	out := slices.Clone(r.acts)
	slices.Reverse(out)
	return out
}

func (r *Runner) applyAll(ctx context.Context, a fsm.Actuate) bool {
	for _, act := range r.ordered(a.Op) {
		for attempt := 0; ; attempt++ {
			err := r.call(ctx, act, a)
			if err == nil || errors.Is(err, actuator.ErrStaleEpoch) {
				if err != nil {
					r.log.Warn("actuation superseded by a newer term", "actuator", act.Name(), "op", a.Op.String(), "error", err)
				}
				r.metrics.actuations.WithLabelValues(a.Op.String(), outcome(err)).Inc()
				r.report(a, act, err)
				break
			}
			if attempt == 0 {
				r.report(a, act, err)
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
	if ctx.Err() != nil {
		return false
	}
	if a.Op == fsm.Deactivate {
		r.mu.Lock()
		r.steppedDown = max(r.steppedDown, a.Epoch)
		r.mu.Unlock()
	}
	return true
}

func (r *Runner) report(a fsm.Actuate, act actuator.Actuator, err error) {
	if r.actuated != nil {
		r.actuated(ActuatorResult{Order: a, Actuator: act.Name(), Err: err})
	}
}

// fenceLeftovers runs once before any order: the machine starts in
// STANDBY, so whatever a previous incarnation of this controller left
// active (it crashed while holding) is fenced at the epoch stamped on it.
// It retries until every actuator could be read, so no later order runs
// before the region is known to be stepped down.
func (r *Runner) fenceLeftovers(ctx context.Context) {
	for _, act := range r.ordered(fsm.Fence) {
		for attempt := 0; ; attempt++ {
			err := r.fenceIfActive(ctx, act)
			if err == nil {
				break
			}
			r.log.Error("start-up check of actuator failed; retrying", "actuator", act.Name(), "attempt", attempt, "error", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(min(100*time.Millisecond<<min(attempt, 5), 2*time.Second)):
			}
		}
	}
}

func (r *Runner) fenceIfActive(ctx context.Context, act actuator.Actuator) error {
	ctx, cancel := context.WithTimeout(ctx, r.m.Config().RetryTimeout)
	defer cancel()
	obs, err := act.Observe(ctx)
	if err != nil || obs.Role != actuator.RoleActive {
		return err
	}
	r.log.Warn("actuator left active by a previous run; fencing", "actuator", act.Name(), "epoch", obs.Epoch)
	err = act.Fence(ctx, obs.Epoch)
	if errors.Is(err, actuator.ErrStaleEpoch) {
		return nil
	}
	if err == nil {
		r.report(fsm.Actuate{Op: fsm.Fence, Epoch: obs.Epoch}, act, nil)
	}
	return err
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
	for _, act := range r.ordered(fsm.Fence) {
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
