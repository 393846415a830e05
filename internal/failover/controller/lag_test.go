package controller

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openova-io/openova/internal/failover/actuator"
	"github.com/openova-io/openova/internal/failover/fsm"
	"github.com/openova-io/openova/internal/lease"
)

// setLag is a lag source whose reading the test sets. The real sources
// (Valkey against redis-server, Prometheus API) are tested in
// internal/failover/actuator; here only what the runner does with a
// reading matters.
type setLag struct {
	mu  sync.Mutex
	r   actuator.LagReading
	err error
}

func (s *setLag) Name() string { return "test lag" }
func (s *setLag) Lag(context.Context) (actuator.LagReading, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.r, s.err
}
func (s *setLag) set(r actuator.LagReading, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.r, s.err = r, err
}

func TestWorstLag(t *testing.T) {
	ok := func(d time.Duration) *setLag { return &setLag{r: actuator.LagReading{Lag: d, Known: true}} }
	for _, c := range []struct {
		name    string
		sources []actuator.LagSource
		want    fsm.Lag
	}{
		{"worst of known", []actuator.LagSource{ok(time.Second), ok(3 * time.Second), ok(0)}, fsm.Lag{Lag: 3 * time.Second}},
		{"one unknown", []actuator.LagSource{ok(time.Second), &setLag{}}, fsm.Lag{Unknown: true}},
		{"one error", []actuator.LagSource{ok(time.Second), &setLag{err: errors.New("down")}}, fsm.Lag{Unknown: true}},
	} {
		if got, _ := WorstLag(context.Background(), c.sources); got != c.want {
			t.Errorf("%s: %+v, want %+v", c.name, got, c.want)
		}
	}
}

// TestRPOGuardWithLagSource: real witness, a ACTIVE, b automatic with an
// RPO bound of 1 s and a lag source. Cut from the witness, a fences; b
// takes over on its own while the lag is under the bound, and proposes
// instead when it is over the bound or unknown.
func TestRPOGuardWithLagSource(t *testing.T) {
	for _, c := range []struct {
		name    string
		reading actuator.LagReading
		want    fsm.State
	}{
		{"under the bound", actuator.LagReading{Lag: 200 * time.Millisecond, Known: true}, fsm.Active},
		{"over the bound", actuator.LagReading{Lag: 5 * time.Second, Known: true}, fsm.AwaitingApproval},
		{"unknown", actuator.LagReading{Detail: "link down; never measured"}, fsm.AwaitingApproval},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			url := startWitness(t)
			a, wa, _ := startRunner(t, ctx, url, "a", &journal{name: "a"})
			waitState(t, a, fsm.Active, 5*time.Second)
			lag := &setLag{r: actuator.LagReading{Lag: 100 * time.Millisecond, Known: true}}
			reg := prometheus.NewRegistry()
			b := startLagRunner(t, ctx, url, "b", lag, reg)
			waitLagStatus(t, b, 100*time.Millisecond)
			lag.set(c.reading, nil)
			if c.reading.Known {
				waitLagStatus(t, b, c.reading.Lag)
			} else {
				waitLagStatus(t, b, -1)
			}
			want := -1.0
			if c.reading.Known {
				want = c.reading.Lag.Seconds()
			}
			if got := gaugeValue(t, reg, "openova_failover_replication_lag_seconds"); got != want {
				t.Errorf("openova_failover_replication_lag_seconds = %v, want %v", got, want)
			}
			wa.cut.Store(true)
			waitState(t, b, c.want, 5*time.Second)
			if c.want == fsm.AwaitingApproval && b.Status().Proposal == 0 {
				t.Fatalf("b awaits approval without a proposal: %+v", b.Status())
			}
		})
	}
}

func startLagRunner(t *testing.T, ctx context.Context, url, region string, src actuator.LagSource, reg prometheus.Registerer) *Runner {
	t.Helper()
	cl, err := lease.NewClient(url, "token-"+region, nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := shortTiming
	cfg.Region, cfg.Mode, cfg.MaxLag = region, fsm.Automatic, time.Second
	r, err := New(Options{Config: cfg, Witness: cl, LeaseName: "shop", Actuators: []actuator.Actuator{&journal{name: region}},
		Log: slog.New(slog.DiscardHandler), Metrics: NewMetrics(reg), LagSources: []actuator.LagSource{src}, LagInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = r.Run(ctx) }()
	return r
}

// waitLagStatus waits until the runner's status shows lag (-1: unknown).
func waitLagStatus(t *testing.T, r *Runner, lag time.Duration) {
	t.Helper()
	for i := 0; i < 500; i++ {
		if r.Status().Lag == lag {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("status lag %s, want %s", r.Status().Lag, lag)
}

func gaugeValue(t *testing.T, g prometheus.Gatherer, name string) float64 {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}
