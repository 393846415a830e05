package controller

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, func(e *testenv.Env) {
		if err := failoverv1.AddToScheme(e.Scheme); err != nil {
			panic(err)
		}
		env = e
	})
}

// region sets up one region's objects in its own namespace of the shared
// API server (a gate, a CNPG Cluster, a Cilium global service and the
// FailoverGroup) and runs a real controller manager for it.
type region struct {
	name, peer, ns string
	listen         string
}

func apply(t *testing.T, manifest string) {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		t.Fatal(err)
	}
	if err := env.EnsureNamespace(context.Background(), u.GetNamespace()); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(context.Background(), u); err != nil {
		t.Fatalf("create %s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

func setupRegion(t *testing.T, ns, name, peer, witnessURL, mode string, maxLag int) *region {
	t.Helper()
	apply(t, fmt.Sprintf(`
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: pg-%[2]s, namespace: %[1]s}
spec:
  instances: 1
  storage: {size: 1Gi}
  replica: {primary: pg-a, source: pg-%[3]s}
  externalClusters:
  - {name: pg-%[2]s, connectionParameters: {host: pg-%[2]s-rw, user: streaming_replica}}
  - {name: pg-%[3]s, connectionParameters: {host: pg-%[3]s-rw, user: streaming_replica}}
`, ns, name, peer))
	apply(t, fmt.Sprintf(`
apiVersion: v1
kind: Service
metadata: {name: api, namespace: %s}
spec: {selector: {app: api}, ports: [{port: 80}]}
`, ns))
	apply(t, fmt.Sprintf(`
apiVersion: failover.openova.io/v1alpha1
kind: FailoverGroup
metadata: {name: shop, namespace: %[1]s}
spec:
  region: %[2]s
  peerRegion: %[3]s
  mode: %[5]s
  witness: {url: %[4]q, leaseName: shop-%[1]s, credentialsSecretRef: {name: witness}}
  timing: {renewInterval: 400ms, ttl: 2s, retryTimeout: 300ms}
  rpo: {maxLagSeconds: %[6]d}
  layers:
    external: {gates: [{gateService: shop-gate}]}
    internal: {services: [{name: api}]}
    stateful: {cnpg: [{name: pg-%[2]s, peerCluster: pg-%[3]s}]}
`, ns, name, peer, witnessURL, mode, maxLag))
	return &region{name: name, peer: peer, ns: ns}
}

// run starts the manager; the returned function stops it (and waits).
func (r *region) run(t *testing.T, witnessURL, lease string) func() {
	t.Helper()
	return r.runOpts(t, witnessURL, lease, nil)
}

// runOpts is run with the options changed by mutate (nil: none).
func (r *region) runOpts(t *testing.T, witnessURL, lease string, mutate func(*ManagerOptions)) func() {
	t.Helper()
	tok := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tok, []byte("token-"+r.name+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r.listen = ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	o := ManagerOptions{Region: r.name, PeerRegion: r.peer, WitnessURL: witnessURL, LeaseName: lease, WitnessTokenFile: tok,
		Timing: Timing{RenewInterval: time.Second, TTL: 10 * time.Second, RetryTimeout: time.Second, FenceMargin: 300 * time.Millisecond},
		Listen: r.listen, LeaderElect: true, LeaderElectionNamespace: r.ns, LeaderElectionID: "failover-" + r.name}
	if mutate != nil {
		mutate(&o)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})).With("test-region", r.name)
	go func() { done <- RunManager(ctx, env.Config, o, log) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager %s: %v", r.name, err)
		}
	}
	t.Cleanup(stop)
	return stop
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

func (r *region) group(t *testing.T) *failoverv1.FailoverGroup {
	t.Helper()
	var fg failoverv1.FailoverGroup
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: r.ns, Name: "shop"}, &fg); err != nil {
		t.Fatal(err)
	}
	return &fg
}

// updateSpec writes a change to the FailoverGroup's spec as a person (or
// `catalyst failover`) would: read, change, write, and on a conflict read
// again and retry. A running controller patches the status on every
// renewal, so a write of a copy read a moment earlier can be refused with
// a conflict; writing that copy without a retry made these tests fail
// now and then (about one run in twelve) under CPU load.
func (r *region) updateSpec(t *testing.T, mutate func(*failoverv1.FailoverGroup)) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		fg := r.group(t)
		mutate(fg)
		return env.Client.Update(context.Background(), fg)
	})
	if err != nil {
		t.Fatalf("update FailoverGroup %s/shop: %v", r.ns, err)
	}
}

func (r *region) waitState(t *testing.T, want failoverv1.State) *failoverv1.FailoverGroup {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		fg := r.group(t)
		if fg.Status.State == want {
			return fg
		}
		if time.Now().After(deadline) {
			t.Fatalf("region %s: state %q, want %q; conditions %+v", r.name, fg.Status.State, want, fg.Status.Conditions)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (r *region) gateReady(t *testing.T) bool {
	t.Helper()
	var es discoveryv1.EndpointSlice
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: r.ns, Name: "shop-gate-gate"}, &es); err != nil {
		t.Fatal(err)
	}
	return len(es.Endpoints) == 1 && *es.Endpoints[0].Conditions.Ready
}

func (r *region) cnpgPrimary(t *testing.T) string {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("postgresql.cnpg.io/v1")
	u.SetKind("Cluster")
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: r.ns, Name: "pg-" + r.name}, u); err != nil {
		t.Fatal(err)
	}
	p, _, _ := unstructured.NestedString(u.Object, "spec", "replica", "primary")
	return p
}

func history(fg *failoverv1.FailoverGroup, kind failoverv1.HistoryKind) []failoverv1.HistoryEntry {
	var out []failoverv1.HistoryEntry
	for _, h := range fg.Status.History {
		if h.Kind == kind {
			out = append(out, h)
		}
	}
	return out
}

// Two regions (two namespaces of one API server, each with its own
// manager, leader election Lease and lease at the real witness): the
// first takes the lease and activates every layer, the second stands by
// with its layers deactivated; a switchover written into the active
// region's FailoverGroup moves the active role, acted on once.
func TestFailoverGroupAutomaticAndSwitchover(t *testing.T) {
	url := startWitness(t)
	a := setupRegion(t, "sw-a", "a", "b", url, "automatic", 0)
	b := setupRegion(t, "sw-b", "b", "a", url, "automatic", 0)
	a.run(t, url, "shop-sw-a")
	fg := a.waitState(t, failoverv1.StateActive)
	if fg.Status.Epoch != 1 || fg.Status.Holder != "a" || fg.Status.LastRenewal == nil {
		t.Fatalf("active status: epoch %d holder %q lastRenewal %v", fg.Status.Epoch, fg.Status.Holder, fg.Status.LastRenewal)
	}
	if c := apimeta.FindStatusCondition(fg.Status.Conditions, ConditionReady); c == nil || c.Status != metav1.ConditionTrue || c.Reason != "Active" {
		t.Fatalf("Ready condition: %+v", c)
	}
	if !a.gateReady(t) || a.cnpgPrimary(t) != "pg-a" {
		t.Fatalf("region a active but gate ready=%t, CNPG primary %q", a.gateReady(t), a.cnpgPrimary(t))
	}
	if len(history(fg, failoverv1.HistoryActuation)) == 0 || len(history(fg, failoverv1.HistoryTransition)) < 2 {
		t.Fatalf("history lacks transitions or actuations: %+v", fg.Status.History)
	}
	if resp, err := http.Get("http://" + a.listen + "/ready"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/ready of the active region: %v %v", resp, err)
	}

	// Region b's lease is a different one (per-namespace lease names keep
	// the tests independent), so make b follow a's lease instead.
	b.updateSpec(t, func(fg *failoverv1.FailoverGroup) { fg.Spec.Witness.LeaseName = "shop-sw-a" })
	b.run(t, url, "shop-sw-a")
	b.waitState(t, failoverv1.StateStandby)
	// STANDBY is reported before the deactivation has created b's gate
	// (slow under load): wait for the gate to exist, not ready.
	waitFor(t, "region b's layers deactivated at a's epoch", func() bool {
		return b.gateExists(t) && !b.gateReady(t) && b.cnpgPrimary(t) == "pg-a"
	})

	a.updateSpec(t, func(fg *failoverv1.FailoverGroup) {
		fg.Spec.Switchover = &failoverv1.SwitchoverRequest{ID: "drill-1", Target: "b", By: "alice@bank.example", At: &metav1.Time{Time: time.Now()}}
	})
	fgb := b.waitState(t, failoverv1.StateActive)
	if fgb.Status.Epoch != 2 {
		t.Fatalf("after switchover b holds epoch %d, want 2", fgb.Status.Epoch)
	}
	fg = a.waitState(t, failoverv1.StateStandby)
	if fg.Status.LastSwitchoverID != "drill-1" {
		t.Fatalf("lastSwitchoverID %q", fg.Status.LastSwitchoverID)
	}
	if sw := history(fg, failoverv1.HistorySwitchover); len(sw) == 0 || sw[0].Who != "alice@bank.example" {
		t.Fatalf("switchover evidence: %+v", sw)
	}
	waitFor(t, "a's gate closed and b's open", func() bool { return !a.gateReady(t) && b.gateReady(t) })
	if a.cnpgPrimary(t) != "pg-b" || b.cnpgPrimary(t) != "pg-b" {
		t.Fatalf("CNPG primary after switchover: a says %q, b says %q", a.cnpgPrimary(t), b.cnpgPrimary(t))
	}
	var evs corev1.EventList
	if err := env.Client.List(context.Background(), &evs, client.InNamespace("sw-a")); err != nil {
		t.Fatal(err)
	}
	reasons := map[string]bool{}
	for _, e := range evs.Items {
		reasons[e.Reason] = true
	}
	for _, want := range []string{"Active", "SwitchoverStarted", "Actuated"} {
		if !reasons[want] {
			t.Errorf("no %s event in sw-a; got %v", want, reasons)
		}
	}
}

// Semi-automatic mode: the controller proposes a takeover for a specific
// epoch and takes over only once spec.approval names that epoch; the
// approval is recorded with who gave it.
func TestFailoverGroupApproval(t *testing.T) {
	url := startWitness(t)
	a := setupRegion(t, "ap-a", "a", "b", url, "semi-automatic", 0)
	a.run(t, url, "shop-ap-a")
	fg := a.waitState(t, failoverv1.StateAwaitingApproval)
	if fg.Status.PendingProposal == nil || fg.Status.PendingProposal.Epoch != 1 {
		t.Fatalf("pending proposal %+v", fg.Status.PendingProposal)
	}
	if a.gateExists(t) && a.gateReady(t) {
		t.Fatal("gate ready before approval")
	}
	// An approval of another epoch is not handed on.
	a.updateSpec(t, func(fg *failoverv1.FailoverGroup) {
		fg.Spec.Approval = &failoverv1.Approval{Epoch: 7, By: "mallory", Decision: failoverv1.DecisionApprove}
	})
	time.Sleep(time.Second)
	if got := a.group(t).Status.State; got != failoverv1.StateAwaitingApproval {
		t.Fatalf("approval of epoch 7 moved the state to %s", got)
	}
	a.updateSpec(t, func(fg *failoverv1.FailoverGroup) {
		fg.Spec.Approval = &failoverv1.Approval{Epoch: 1, By: "alice@bank.example", Decision: failoverv1.DecisionApprove}
	})
	fg = a.waitState(t, failoverv1.StateActive)
	ap := history(fg, failoverv1.HistoryApproval)
	if len(ap) != 1 || ap[0].Who != "alice@bank.example" || ap[0].Epoch != 1 {
		t.Fatalf("approval evidence: %+v", ap)
	}
	if fg.Status.PendingProposal != nil || fg.Status.LastFailover == nil || fg.Status.LastFailover.Epoch != 1 {
		t.Fatalf("after approval: proposal %+v, last failover %+v", fg.Status.PendingProposal, fg.Status.LastFailover)
	}
}

// The default RPO bound (30 s) with no replication lag known refuses an
// automatic takeover and asks for approval instead.
func TestFailoverGroupRPOGuardAsksForApproval(t *testing.T) {
	url := startWitness(t)
	a := setupRegion(t, "rpo-a", "a", "b", url, "automatic", 30)
	a.run(t, url, "shop-rpo-a")
	fg := a.waitState(t, failoverv1.StateAwaitingApproval)
	if p := fg.Status.PendingProposal; p == nil || p.Epoch != 1 {
		t.Fatalf("pending proposal %+v", p)
	}
}

// A FailoverGroup that disagrees with the controller's flags stalls it
// with a condition naming the field, and nothing is actuated. (Unsafe
// timings never get this far: the CRD's validation refuses them.)
func TestFailoverGroupInvalidSpec(t *testing.T) {
	url := startWitness(t)
	a := setupRegion(t, "bad-a", "a", "b", url, "automatic", 0)
	a.updateSpec(t, func(fg *failoverv1.FailoverGroup) { fg.Spec.PeerRegion = "c" })
	a.run(t, url, "shop-bad-a")
	waitFor(t, "Stalled condition", func() bool {
		c := apimeta.FindStatusCondition(a.group(t).Status.Conditions, ConditionStalled)
		return c != nil && c.Status == metav1.ConditionTrue && c.Reason == ReasonInvalidSpec
	})
	c := apimeta.FindStatusCondition(a.group(t).Status.Conditions, ConditionStalled)
	t.Logf("stalled: %s", c.Message)
	if a.gateExists(t) {
		t.Fatal("an invalid group actuated its gate")
	}
}

func (r *region) gateExists(t *testing.T) bool {
	var es discoveryv1.EndpointSlice
	return env.Client.Get(context.Background(), client.ObjectKey{Namespace: r.ns, Name: "shop-gate-gate"}, &es) == nil
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
