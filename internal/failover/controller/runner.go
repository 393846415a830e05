// Package controller is the failover controller's shell: it drives the pure
// state machine (internal/failover/fsm) with a real monotonic clock, sends
// its witness requests through the lease client, carries out actuations
// through internal/failover/actuator, and exposes what it does (/status,
// /ready, /metrics, evidence).
package controller

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"sync"
	"time"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/actuator"
	"github.com/openova-io/openova/internal/failover/fsm"
	"github.com/openova-io/openova/internal/failover/wire"
	"github.com/openova-io/openova/internal/lease"
)

// Witness is what the runner needs of a witness; *lease.Client has it.
type Witness interface {
	Acquire(ctx context.Context, name string, req lease.AcquireRequest) (lease.Reply, error)
	Renew(ctx context.Context, name, holder string, epoch uint64) (lease.Reply, error)
	Release(ctx context.Context, name, holder string, epoch uint64) (lease.Reply, error)
	Read(ctx context.Context, name string) (lease.Reply, error)
}

// Runner owns one state machine. Only Run's goroutine steps it; everything
// else reaches it through events.
type Runner struct {
	m         *fsm.Machine
	witness   Witness
	leaseName string
	acts      []actuator.Actuator
	selected  func(context.Context) ([]actuator.Actuator, error)
	selection func(context.Context) ([]failoverv1.SelectedCNPGCluster, []failoverv1.SelectedValkey)
	resync    time.Duration
	clock     func() time.Duration
	log       *slog.Logger
	evidence  func(fsm.Action, fsm.Status)
	actuated  func(ActuatorResult)
	metrics   *Metrics

	lagSources  []actuator.LagSource
	lagInterval time.Duration

	events    chan fsm.Event
	work      chan fsm.Actuate
	resyncNow chan struct{}

	mu     sync.Mutex
	status fsm.Status
	// stepDown is the highest epoch the peer was seen holding; the
	// actuators are deactivated at it (only the actuate goroutine reads
	// it after startup, through pendingStepDown).
	stepDown    uint64
	steppedDown uint64
	started     time.Time     // wall time at clock reading base
	base        time.Duration // clock reading at started

	// Of the actuate goroutine and its jobs: the last order every actuator
	// completed, what each actuator last completed, and the selected
	// actuators last resolved (used to fence when listing fails).
	last         fsm.Actuate
	applied      map[string]fsm.Actuate
	lastSelected []actuator.Actuator
	resolvedOnce bool
	static       map[string]bool   // names of the listed actuators
	failing      map[string]string // actuator → the failure last reported
	lastErr      map[string]string // actuator → its last failure, until it succeeds
}

// Options configures a Runner. Clock defaults to BootClock; Evidence (the
// Kubernetes events and status history sink) may be nil.
type Options struct {
	Config    fsm.Config
	Witness   Witness
	LeaseName string
	Actuators []actuator.Actuator
	// Selected, if set, resolves further actuators (the CNPG selector's)
	// at each actuation and every ResyncInterval; they come first in
	// activation order, with the data layer.
	Selected func(context.Context) ([]actuator.Actuator, error)
	// Selection, if set, reports what the selectors resolved to, for
	// /status.
	Selection      func(context.Context) ([]failoverv1.SelectedCNPGCluster, []failoverv1.SelectedValkey)
	ResyncInterval time.Duration
	Clock          func() time.Duration
	Log            *slog.Logger
	Evidence       func(fsm.Action, fsm.Status)
	// Actuated, if set, hears each actuator's result (evidence of every
	// actuation); called from the actuation goroutine.
	Actuated func(ActuatorResult)
	Metrics  *Metrics
	// LagSources feed the RPO guard every LagInterval (default
	// DefaultLagInterval); with none, the lag stays unknown.
	LagSources  []actuator.LagSource
	LagInterval time.Duration
}

// New validates the configuration and returns a runner.
func New(o Options) (*Runner, error) {
	m, err := fsm.New(o.Config)
	if err != nil {
		return nil, err
	}
	if o.Witness == nil || o.LeaseName == "" {
		return nil, errors.New("controller: a witness client and a lease name are required")
	}
	if o.Clock == nil {
		o.Clock = BootClock
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Metrics == nil {
		o.Metrics = NewMetrics(nil)
	}
	if o.LagInterval <= 0 {
		o.LagInterval = DefaultLagInterval
	}
	if o.ResyncInterval <= 0 {
		o.ResyncInterval = m.Config().RenewInterval
	}
	r := &Runner{m: m, witness: o.Witness, leaseName: o.LeaseName, acts: o.Actuators, selected: o.Selected, selection: o.Selection, resync: o.ResyncInterval,
		applied: map[string]fsm.Actuate{}, clock: o.Clock,
		log: o.Log.With("region", m.Config().Region), evidence: o.Evidence, actuated: o.Actuated, metrics: o.Metrics,
		lagSources: o.LagSources, lagInterval: o.LagInterval,
		events: make(chan fsm.Event, 64), work: make(chan fsm.Actuate, 16), resyncNow: make(chan struct{}, 1)}
	r.static, r.failing, r.lastErr = map[string]bool{}, map[string]string{}, map[string]string{}
	for _, a := range o.Actuators {
		r.static[a.Name()] = true
	}
	r.started, r.base = time.Now(), o.Clock()
	r.status = m.Status()
	return r, nil
}

// Inject hands a human command or an observation to the machine.
func (r *Runner) Inject(ctx context.Context, ev fsm.Event) error {
	select {
	case r.events <- ev:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Resync asks for the selection to be resolved again now, and the last
// order carried out on what it newly selects (a changed selector, a
// Cluster labelled or changed), instead of at the next resync interval.
func (r *Runner) Resync() {
	select {
	case r.resyncNow <- struct{}{}:
	default: // one is pending already
	}
}

// LastErrors maps each actuator whose last actuation failed to the error,
// safe from any goroutine.
func (r *Runner) LastErrors() map[string]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.lastErr)
}

// Status is the latest snapshot, safe from any goroutine.
func (r *Runner) Status() fsm.Status {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.status
}

// Wall converts a reading of the runner's clock to wall time, for humans.
func (r *Runner) Wall(t time.Duration) time.Time { return r.started.Add(t - r.base) }

// Run steps the machine until ctx ends. On the way out a holder fences:
// a controller that stops must not leave its region serving.
func (r *Runner) Run(ctx context.Context) error {
	go r.actuate(ctx)
	if len(r.lagSources) > 0 {
		go r.pollLag(ctx)
	}
	timer := time.NewTimer(0)
	defer timer.Stop()
	var ev fsm.Event = fsm.Tick{}
	for {
		r.step(ctx, ev)
		timer.Reset(r.untilWakeup())
		select {
		case <-ctx.Done():
			if st := r.Status(); st.State.Holding() {
				r.fenceOnExit(st.Epoch)
			}
			return nil
		case ev = <-r.events:
		case <-timer.C:
			ev = fsm.Tick{}
		}
	}
}

func (r *Runner) untilWakeup() time.Duration {
	d := r.m.NextWakeup() - r.clock()
	// Wake at least once a second, so a clock that jumped (suspend)
	// is noticed promptly even with nothing due.
	return min(max(d, time.Millisecond), time.Second)
}

func (r *Runner) step(ctx context.Context, ev fsm.Event) {
	acts := r.m.Step(r.clock(), ev)
	st := r.m.Status()
	// Metrics before the status: whoever has read a status (/status, the
	// reconciler) then finds /metrics at least as new, never older.
	r.metrics.observe(st, r.clock())
	r.mu.Lock()
	r.status = st
	stepDown := r.peerHeldHigher(st)
	r.mu.Unlock()
	for _, a := range acts {
		switch a := a.(type) {
		case fsm.Send:
			go r.send(ctx, a)
		case fsm.Actuate:
			r.work <- a
		case fsm.Transition:
			r.metrics.transitions.WithLabelValues(a.To.String()).Inc()
			r.log.Info("transition", "from", a.From.String(), "to", a.To.String(), "epoch", a.Epoch, "reason", a.Reason)
		default:
			r.log.Info("evidence", "action", a)
		}
		if r.evidence != nil {
			r.evidence(a, st)
		}
	}
	if stepDown {
		r.work <- fsm.Actuate{Op: fsm.Deactivate, Epoch: st.Epoch}
	}
}

// peerHeldHigher records, under r.mu, that the peer was seen holding an
// epoch above any this region stepped down at. The actuators then
// deactivate at that epoch: a region that fenced (or crashed) while
// primary is marked for rebuild by the CNPG actuator, and every layer
// settles into its standby role.
func (r *Runner) peerHeldHigher(st fsm.Status) bool {
	if st.State.Holding() || st.State == fsm.Fenced || st.Holder == "" || st.Holder == st.Region || st.Epoch <= r.stepDown {
		return false
	}
	r.stepDown = st.Epoch
	return true
}

// send performs one witness request within the retry timeout and reports
// the answer as an event; the machine matches it by sequence number.
func (r *Runner) send(ctx context.Context, s fsm.Send) {
	ctx, cancel := context.WithTimeout(ctx, r.m.Config().RetryTimeout)
	defer cancel()
	region := r.m.Config().Region
	start := time.Now()
	var rep lease.Reply
	var err error
	switch s.Kind {
	case fsm.Read:
		rep, err = r.witness.Read(ctx, r.leaseName)
	case fsm.Acquire:
		e := s.Epoch
		rep, err = r.witness.Acquire(ctx, r.leaseName, lease.AcquireRequest{Holder: region, TTL: r.m.Config().TTL, IfEpoch: &e})
	case fsm.Renew:
		rep, err = r.witness.Renew(ctx, r.leaseName, region, s.Epoch)
	case fsm.Release:
		rep, err = r.witness.Release(ctx, r.leaseName, region, s.Epoch)
	}
	reply := wire.Reply(s.Seq, rep, err)
	r.metrics.requests.WithLabelValues(s.Kind.String(), reply.Outcome.String()).Inc()
	r.metrics.latency.WithLabelValues(s.Kind.String()).Observe(time.Since(start).Seconds())
	if err != nil && reply.Outcome == fsm.Unavailable {
		r.log.Warn("witness request failed", "op", s.Kind.String(), "error", err)
	}
	select {
	case r.events <- reply:
	case <-ctx.Done():
	}
}
