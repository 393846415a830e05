package controller

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/openova-io/openova/internal/failover/actuator"
	"github.com/openova-io/openova/internal/failover/fsm"
)

// actuate carries out actuations one at a time, in order. A newer order
// cancels the one in progress (a fence must not wait behind an activation
// that keeps failing). Each actuator is retried until it succeeds or a
// newer term owns its object (ErrStaleEpoch). With a selector, every
// resync interval of idleness the selection is resolved again and the last
// completed order is carried out on actuators that have not had it yet (a
// Cluster created after that order).
func (r *Runner) actuate(ctx context.Context) {
	r.fenceLeftovers(ctx)
	type job struct {
		order   fsm.Actuate
		catchUp bool
		id      int
	}
	type result struct {
		job
		ok bool
	}
	var cur job
	running, pending := false, false // pending: a resync asked for while running
	var cancel context.CancelFunc = func() {}
	done := make(chan result, 1)
	start := func(j job) {
		cancel()
		var actx context.Context
		actx, cancel = context.WithCancel(ctx)
		j.id = cur.id + 1
		cur, running = j, true
		go func() {
			var ok bool
			if j.catchUp {
				ok = r.catchUp(actx, j.order)
			} else {
				ok = r.apply(actx, j.order)
			}
			select {
			case done <- result{j, ok}:
			case <-ctx.Done():
			}
		}()
	}
	var tick <-chan time.Time
	if r.selected != nil {
		t := time.NewTicker(r.resync)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			cancel()
			return
		case a := <-r.work:
			start(job{order: a})
		case res := <-done:
			if res.id != cur.id {
				continue
			}
			running = false
			if res.ok && !res.catchUp {
				_ = r.Inject(ctx, fsm.ActuatorsDone{Op: res.order.Op, Epoch: res.order.Epoch})
			}
			if pending {
				pending = false
				start(job{order: r.lastOrder(), catchUp: true})
			}
		case <-tick:
			if !running {
				start(job{order: r.lastOrder(), catchUp: true})
			}
		case <-r.resyncNow:
			if running {
				pending = true
			} else {
				start(job{order: r.lastOrder(), catchUp: true})
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
// deactivation from traffic to data (the gate closes first). Selected
// actuators are resolved now; if that fails a fence uses the last
// resolved ones (stepping down must not wait for a list), anything else
// fails and is retried.
func (r *Runner) ordered(ctx context.Context, op fsm.ActuatorOp) ([]actuator.Actuator, error) {
	sel, err := r.resolve(ctx)
	if err != nil {
		r.mu.Lock()
		last, resolved := r.lastSelected, r.resolvedOnce
		r.mu.Unlock()
		if op != fsm.Fence || !resolved {
			return nil, err
		}
		r.log.Error("fencing what the selectors selected at the last resolution: listing failed", "error", err)
		sel = last
	}
	out := append(slices.Clone(sel), r.acts...)
	if op != fsm.Activate {
		slices.Reverse(out)
	}
	return out, nil
}

func (r *Runner) resolve(ctx context.Context) ([]actuator.Actuator, error) {
	if r.selected == nil {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.m.Config().RetryTimeout)
	defer cancel()
	sel, err := r.selected(ctx)
	if err == nil {
		r.mu.Lock()
		r.lastSelected, r.resolvedOnce = sel, true
		r.mu.Unlock()
	}
	return sel, err
}

// orderedRetry retries ordered until it resolves or ctx ends; the first
// failure is evidence.
func (r *Runner) orderedRetry(ctx context.Context, a fsm.Actuate) ([]actuator.Actuator, bool) {
	for attempt := 0; ; attempt++ {
		acts, err := r.ordered(ctx, a.Op)
		if err == nil {
			return acts, true
		}
		if attempt == 0 && r.actuated != nil {
			r.actuated(ActuatorResult{Order: a, Actuator: "selectors", Err: err})
		}
		r.log.Error("resolving the selectors failed; retrying", "op", a.Op.String(), "epoch", a.Epoch, "attempt", attempt, "error", err)
		if !sleep(ctx, attempt) {
			return nil, false
		}
	}
}

func sleep(ctx context.Context, attempt int) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(min(100*time.Millisecond<<min(attempt, 5), 2*time.Second)):
		return true
	}
}

func (r *Runner) applyAll(ctx context.Context, a fsm.Actuate) bool {
	acts, ok := r.orderedRetry(ctx, a)
	if !ok || !r.applyEach(ctx, a, acts) {
		return false
	}
	r.mu.Lock()
	r.last = a
	if a.Op == fsm.Deactivate {
		r.steppedDown = max(r.steppedDown, a.Epoch)
	}
	r.mu.Unlock()
	return true
}

// catchUp carries out the last completed order on the selected actuators
// that have not completed it (with no order yet, it only resolves, which
// refreshes the selection and reports Clusters that cannot be actuated).
func (r *Runner) catchUp(ctx context.Context, last fsm.Actuate) bool {
	sel, err := r.resolve(ctx)
	if err != nil {
		r.log.Warn("resync of the selectors failed", "error", err)
		return false
	}
	if last.Epoch == 0 {
		return true
	}
	var todo []actuator.Actuator
	r.mu.Lock()
	current := map[string]bool{}
	for _, act := range sel {
		current[act.Name()] = true
		if r.applied[act.Name()] != last {
			todo = append(todo, act)
		}
	}
	for name := range r.applied { // forget deselected or deleted Clusters
		if !current[name] && !r.static[name] {
			delete(r.applied, name)
		}
	}
	r.mu.Unlock()
	if len(todo) > 0 {
		r.log.Info("carrying out the last order on newly selected actuators", "op", last.Op.String(), "epoch", last.Epoch, "actuators", len(todo))
	}
	return r.applyEach(ctx, last, todo)
}

func (r *Runner) lastOrder() fsm.Actuate {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.last
}

// applyEach runs a on acts in order, each until it succeeds or is
// superseded; false if ctx ended first. One exception keeps any team's
// database from holding a whole region's takeover: activating a selected
// (not listed) Cluster is given up for this order when it is refused for
// good (marked for rebuild) or still fails after one TTL; it stays
// unapplied, so the resync retries it, and its failure is evidence once
// per order and error.
func (r *Runner) applyEach(ctx context.Context, a fsm.Actuate, acts []actuator.Actuator) bool {
	for _, act := range acts {
		mayGiveUp := a.Op == fsm.Activate && !r.static[act.Name()]
		start := r.clock()
		for attempt := 0; ; attempt++ {
			err := r.call(ctx, act, a)
			if err == nil || errors.Is(err, actuator.ErrStaleEpoch) {
				if err != nil {
					r.log.Warn("actuation superseded by a newer term", "actuator", act.Name(), "op", a.Op.String(), "error", err)
				}
				r.metrics.actuations.WithLabelValues(a.Op.String(), outcome(err)).Inc()
				r.report(a, act, err)
				r.mu.Lock()
				r.applied[act.Name()] = a
				delete(r.failing, act.Name())
				delete(r.lastErr, act.Name())
				r.mu.Unlock()
				break
			}
			if attempt == 0 {
				r.reportFailure(a, act, err)
			}
			r.metrics.actuations.WithLabelValues(a.Op.String(), "error").Inc()
			if mayGiveUp && (errors.Is(err, actuator.ErrRebuildRequired) || r.clock()-start >= r.m.Config().TTL) {
				r.log.Error("activation of a selected Cluster given up for this order; the region proceeds and the resync retries it",
					"actuator", act.Name(), "epoch", a.Epoch, "attempts", attempt+1, "error", err)
				break
			}
			r.log.Error("actuation failed; retrying", "actuator", act.Name(), "op", a.Op.String(), "epoch", a.Epoch, "attempt", attempt, "error", err)
			if !sleep(ctx, attempt) {
				return false
			}
		}
	}
	return ctx.Err() == nil
}

// reportFailure reports an actuator's failure once per order and error,
// so the resync retrying a refused Cluster does not flood the history.
func (r *Runner) reportFailure(a fsm.Actuate, act actuator.Actuator, err error) {
	key := fmt.Sprintf("%s/%d/%v", a.Op, a.Epoch, err)
	r.mu.Lock()
	seen := r.failing[act.Name()] == key
	r.failing[act.Name()] = key
	r.lastErr[act.Name()] = fmt.Sprintf("%s at epoch %d: %v", a.Op, a.Epoch, err)
	r.mu.Unlock()
	if !seen {
		r.report(a, act, err)
	}
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
	acts, ok := r.orderedRetry(ctx, fsm.Actuate{Op: fsm.Fence})
	if !ok {
		return
	}
	for _, act := range acts {
		for attempt := 0; ; attempt++ {
			err := r.fenceIfActive(ctx, act)
			if err == nil {
				break
			}
			r.log.Error("start-up check of actuator failed; retrying", "actuator", act.Name(), "attempt", attempt, "error", err)
			if !sleep(ctx, attempt) {
				return
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
	acts, err := r.ordered(ctx, fsm.Fence)
	if err != nil { // never resolved: fence what is known
		r.log.Error("fence on exit without the selected objects", "error", err)
		acts = slices.Clone(r.acts)
		slices.Reverse(acts)
	}
	for _, act := range acts {
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
