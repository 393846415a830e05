package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openova-io/openova/internal/failover/actuator"
	"github.com/openova-io/openova/internal/failover/fsm"
	"github.com/openova-io/openova/internal/lease"
	"github.com/openova-io/openova/internal/witness"
)

// startWitness runs the real witness server (bbolt store in a temp dir) on
// loopback.
func startWitness(t *testing.T) string {
	t.Helper()
	store, err := witness.OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	hash := func(tok string) string { s := sha256.Sum256([]byte(tok)); return "sha256:" + hex.EncodeToString(s[:]) }
	creds, err := witness.ParseCredentials([]byte(fmt.Sprintf("regions:\n  a: [%q]\n  b: [%q]\n", hash("token-a"), hash("token-b"))))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	srv, err := witness.New(store, creds, func() time.Duration { return time.Since(start) }, lease.DefaultLimits, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

// cuttable wraps the real lease client; cutting it makes every request
// fail as a partition would.
type cuttable struct {
	*lease.Client
	cut atomic.Bool
}

var errCut = &lease.Error{Op: "test", Code: lease.CodeUnavailable, Message: "partitioned by the test"}

func (c *cuttable) Acquire(ctx context.Context, n string, r lease.AcquireRequest) (lease.Reply, error) {
	if c.cut.Load() {
		return lease.Reply{}, errCut
	}
	return c.Client.Acquire(ctx, n, r)
}
func (c *cuttable) Renew(ctx context.Context, n, h string, e uint64) (lease.Reply, error) {
	if c.cut.Load() {
		return lease.Reply{}, errCut
	}
	return c.Client.Renew(ctx, n, h, e)
}
func (c *cuttable) Read(ctx context.Context, n string) (lease.Reply, error) {
	if c.cut.Load() {
		return lease.Reply{}, errCut
	}
	return c.Client.Read(ctx, n)
}

// journal is a recording actuator: the real actuators need API servers and
// are tested in internal/failover/actuator; here only the order and timing
// of the runner's orders matter.
type journal struct {
	mu    sync.Mutex
	name  string
	on    bool
	spans [][2]time.Time // serving intervals
}

func (j *journal) Name() string { return "journal " + j.name }
func (j *journal) Activate(context.Context, uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.on {
		j.on = true
		j.spans = append(j.spans, [2]time.Time{time.Now()})
	}
	return nil
}
func (j *journal) Deactivate(ctx context.Context, e uint64) error { return j.Fence(ctx, e) }
func (j *journal) Fence(context.Context, uint64) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.on {
		j.on = false
		j.spans[len(j.spans)-1][1] = time.Now()
	}
	return nil
}
func (j *journal) Observe(context.Context) (actuator.Observation, error) {
	return actuator.Observation{}, nil
}

var shortTiming = fsm.Config{RenewInterval: 400 * time.Millisecond, TTL: 2 * time.Second,
	RetryTimeout: 300 * time.Millisecond, FenceMargin: 300 * time.Millisecond}

func startRunner(t *testing.T, ctx context.Context, url, region string, j *journal) (*Runner, *cuttable, *httptest.Server) {
	t.Helper()
	cl, err := lease.NewClient(url, "token-"+region, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &cuttable{Client: cl}
	cfg := shortTiming
	cfg.Region = region
	reg := prometheus.NewRegistry()
	r, err := New(Options{Config: cfg, Witness: w, LeaseName: "shop", Actuators: []actuator.Actuator{j},
		Log: slog.New(slog.DiscardHandler), Metrics: NewMetrics(reg)})
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = r.Run(ctx) }()
	hs := httptest.NewServer(r.Handler(reg))
	t.Cleanup(hs.Close)
	return r, w, hs
}

func waitState(t *testing.T, r *Runner, want fsm.State, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		if r.Status().State == want {
			return time.Now()
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("%s did not reach %s within %s; it is %s", r.Status().Region, want, within, r.Status().State)
	return time.Time{}
}

// TestCutActiveFromWitness: real witness, two runners. a becomes ACTIVE;
// cut from the witness it fences before b is granted the lease; b takes
// over. The recorded serving intervals must not overlap.
func TestCutActiveFromWitness(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := startWitness(t)
	ja, jb := &journal{name: "a"}, &journal{name: "b"}
	a, wa, ha := startRunner(t, ctx, url, "a", ja)
	waitState(t, a, fsm.Active, 5*time.Second)
	b, _, _ := startRunner(t, ctx, url, "b", jb)
	time.Sleep(time.Second)
	if st := b.Status(); st.State != fsm.Standby || st.Holder != "a" {
		t.Fatalf("b should watch a's lease from STANDBY, got %+v", st)
	}

	var sj StatusJSON
	getJSON(t, ha.URL+"/status", &sj)
	if sj.State != "ACTIVE" || sj.Region != "a" || sj.LastRenewal == nil || sj.Epoch == 0 {
		t.Fatalf("/status of the active: %+v", sj)
	}
	if code := get(t, ha.URL+"/ready"); code != http.StatusOK {
		t.Fatalf("/ready of the active: %d", code)
	}

	cutAt := time.Now()
	wa.cut.Store(true)
	waitState(t, a, fsm.Standby, 5*time.Second) // fenced, then standby
	activeAt := waitState(t, b, fsm.Active, 5*time.Second)
	t.Logf("RTO after cutting the active from the witness (TTL %s): %s", shortTiming.TTL, activeAt.Sub(cutAt).Round(time.Millisecond))

	ja.mu.Lock()
	jb.mu.Lock()
	defer ja.mu.Unlock()
	defer jb.mu.Unlock()
	aEnd := ja.spans[len(ja.spans)-1][1]
	bStart := jb.spans[0][0]
	if aEnd.IsZero() || !aEnd.Before(bStart) {
		t.Fatalf("a stopped serving at %v, b started at %v: overlap", aEnd, bStart)
	}
	t.Logf("gap between a fenced and b activated: %s", bStart.Sub(aEnd).Round(time.Millisecond))
	if st := b.Status(); st.Epoch <= uint64(sj.Epoch) {
		t.Fatalf("b took over at epoch %d, not above a's %d", st.Epoch, sj.Epoch)
	}
	body := getBody(t, ha.URL+"/metrics")
	for _, want := range []string{"openova_failover_transitions_total", "openova_failover_witness_requests_total", `openova_failover_state{state="STANDBY"} 1`} {
		if !contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

// TestWitnessLostFromBothSides: with both cut, a fences and b never
// takes over.
func TestWitnessLostFromBothSides(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	url := startWitness(t)
	ja, jb := &journal{name: "a"}, &journal{name: "b"}
	a, wa, _ := startRunner(t, ctx, url, "a", ja)
	waitState(t, a, fsm.Active, 5*time.Second)
	b, wb, _ := startRunner(t, ctx, url, "b", jb)
	time.Sleep(500 * time.Millisecond)
	wa.cut.Store(true)
	wb.cut.Store(true)
	waitState(t, a, fsm.Standby, 5*time.Second)
	time.Sleep(2 * shortTiming.TTL)
	if st := b.Status(); st.State != fsm.Standby {
		t.Fatalf("b is %s with the witness unreachable from both sides", st.State)
	}
	jb.mu.Lock()
	defer jb.mu.Unlock()
	if len(jb.spans) != 0 {
		t.Fatal("b activated without the witness")
	}
}

func get(t *testing.T, url string) int {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func getBody(t *testing.T, url string) string {
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

func getJSON(t *testing.T, url string, v any) {
	if err := json.Unmarshal([]byte(getBody(t, url)), v); err != nil {
		t.Fatal(err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
