package failover_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	kretry "k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/testenv"
)

func holding(state string) bool {
	return state == "ACTIVE" || state == "FAILING_OVER" || state == "DEMOTING"
}

func waitState(t *testing.T, r *region, state string, within time.Duration) time.Time {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if s := r.status(); s.State == state {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("region %s: state %q after %s, want %s", r.name, r.status().State, within, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// roles waits until one region is ACTIVE and the other STANDBY.
func roles(t *testing.T, a, b *region) (active, standby *region, epoch uint64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		sa, sb := a.status(), b.status()
		switch {
		case sa.State == "ACTIVE" && sb.State == "STANDBY":
			return a, b, sa.Epoch
		case sb.State == "ACTIVE" && sa.State == "STANDBY":
			return b, a, sb.Epoch
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no settled roles: a %+v, b %+v", a.status(), b.status())
	return nil, nil, 0
}

// steady checks for d that act stays ACTIVE at epoch and the other region
// never holds.
func steady(t *testing.T, act, other *region, epoch uint64, d time.Duration) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if s := act.status(); s.State != "ACTIVE" || s.Epoch != epoch {
			t.Fatalf("region %s left ACTIVE at epoch %d: %+v", act.name, epoch, s)
		}
		if s := other.status(); holding(s.State) {
			t.Fatalf("region %s holds (%+v) while %s is active", other.name, s, act.name)
		}
	}
}

// rebuildAfterTakeover removes the rebuild mark of a region that lost the
// primary role without a clean demotion, once its controller set it.
func rebuildAfterTakeover(t *testing.T, old *region) {
	t.Helper()
	deadline := time.Now().Add(5 * ttl)
	for !old.rebuild(t) {
		if time.Now().After(deadline) {
			t.Fatalf("region %s was never marked for rebuild after losing the primary role", old.name)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func startWitness(t *testing.T, data, creds, addr string) *proc {
	p := start(t, filepath.Join(logDir(t), "witness.log"), "witness", "--listen", addr, "--data-dir", data,
		"--credentials-file", creds, "--clock-persist-interval", "100ms")
	waitHTTP(t, "http://"+addr+"/healthz")
	return p
}

// TestFailoverEndToEnd runs the witness and two controllers as processes,
// each controller against its own kube-apiserver, and injects the faults
// of the failover design while an observer watches the effects in both
// API servers. What it proves and what it cannot is said in observer.go
// and in the summary it logs.
func TestFailoverEndToEnd(t *testing.T) {
	envs := [2]*testenv.Env{}
	for i := range envs {
		e, stop, err := testenv.StartSecond()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
		if err := failoverv1.AddToScheme(e.Scheme); err != nil {
			t.Fatal(err)
		}
		envs[i] = e
	}
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials.yaml")
	if err := os.WriteFile(creds, []byte(fmt.Sprintf("regions:\n  a: [%q]\n  b: [%q]\n", hashToken("token-a"), hashToken("token-b"))), 0o600); err != nil {
		t.Fatal(err)
	}
	waddr := freeAddr(t)
	wdata := filepath.Join(dir, "witness-data")
	witness := startWitness(t, wdata, creds, waddr)

	a := newRegion(t, "a", "b", envs[0], waddr)
	b := newRegion(t, "b", "a", envs[1], waddr)
	a.startController(t, b)
	waitState(t, a, "ACTIVE", 5*ttl)
	b.startController(t, a)
	waitState(t, b, "STANDBY", 5*ttl)

	ctx, cancel := context.WithCancel(context.Background())
	obs := &observer{regions: [2]*region{a, b}}
	done := make(chan struct{})
	go func() { obs.run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	var summary []string
	report := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		t.Log(s)
		summary = append(summary, s)
	}

	t.Run("active cut from witness", func(t *testing.T) {
		act, sb, _ := roles(t, a, b)
		t0 := time.Now()
		act.proxy.setCut(true)
		up := waitState(t, sb, "ACTIVE", 4*ttl)
		if s := act.status(); holding(s.State) {
			t.Fatalf("%s still %s when %s became ACTIVE", act.name, s.State, sb.name)
		}
		report("active cut from witness: %s ACTIVE %s after the cut (TTL %s)", sb.name, up.Sub(t0).Round(time.Millisecond), ttl)
		act.proxy.setCut(false)
		waitState(t, act, "STANDBY", 4*ttl)
		rebuildAfterTakeover(t, act)
	})

	t.Run("standby cut from witness", func(t *testing.T) {
		act, sb, epoch := roles(t, a, b)
		sb.proxy.setCut(true)
		steady(t, act, sb, epoch, 2*ttl)
		sb.proxy.setCut(false)
		steady(t, act, sb, epoch, renew)
		report("standby cut from witness for %s: %s stayed ACTIVE at epoch %d", 2*ttl, act.name, epoch)
	})

	t.Run("both cut from witness", func(t *testing.T) {
		act, sb, epoch := roles(t, a, b)
		a.proxy.setCut(true)
		b.proxy.setCut(true)
		for end := time.Now().Add(3 * ttl); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
			if s := sb.status(); holding(s.State) {
				t.Fatalf("standby %s took over with the witness unreachable from both sides: %+v", sb.name, s)
			}
		}
		if s := act.status(); holding(s.State) {
			t.Fatalf("%s still %s after %s without the witness", act.name, s.State, 3*ttl)
		}
		a.proxy.setCut(false)
		b.proxy.setCut(false)
		nact, _, nepoch := roles(t, a, b)
		if nepoch <= epoch {
			t.Fatalf("epoch after both cut: %d, was %d", nepoch, epoch)
		}
		if nact != act {
			rebuildAfterTakeover(t, act)
		}
		report("both cut from witness for %s: no takeover, %s fenced; after healing %s ACTIVE at epoch %d", 3*ttl, act.name, nact.name, nepoch)
	})

	t.Run("SIGSTOP of the active longer than the TTL", func(t *testing.T) {
		act, sb, _ := roles(t, a, b)
		act.setFrozen(true)
		t0 := time.Now()
		act.ctrl.signal(syscall.SIGSTOP)
		up := waitState(t, sb, "ACTIVE", 4*ttl)
		report("RTO (active frozen by SIGSTOP, TTL %s): %s ACTIVE with every actuator confirmed %s after the freeze", ttl, sb.name, up.Sub(t0).Round(time.Millisecond))
		time.Sleep(time.Until(t0.Add(ttl + time.Second)))
		tc := time.Now()
		act.ctrl.signal(syscall.SIGCONT)
		for {
			g, p, err := act.effects(context.Background())
			if err == nil && !g && !p {
				break
			}
			if time.Since(tc) > 2*ttl {
				t.Fatalf("%s never fenced its gate and CNPG Cluster after SIGCONT", act.name)
			}
			time.Sleep(10 * time.Millisecond)
		}
		report("SIGCONT: frozen %s fenced its gate and CNPG Cluster %s after resuming", act.name, time.Since(tc).Round(time.Millisecond))
		act.setFrozen(false)
		waitState(t, act, "STANDBY", 4*ttl)
		rebuildAfterTakeover(t, act)
	})

	parent := t
	t.Run("witness restart", func(t *testing.T) {
		before, _, epoch := roles(t, a, b)
		witness.kill()
		time.Sleep(time.Second)
		witness = startWitness(parent, wdata, creds, waddr)
		// The holder may keep the lease (a renewal got through before its
		// deadline) or fence; then the lease is free after at most one
		// TTL of witness time. Let it settle.
		time.Sleep(2 * ttl)
		act, _, nepoch := roles(t, a, b)
		if nepoch < epoch {
			t.Fatalf("epoch went down across a witness restart: %d -> %d", epoch, nepoch)
		}
		if nepoch > epoch {
			if other := map[*region]*region{a: b, b: a}[act]; other.status().State == "STANDBY" {
				_ = other.rebuild(t)
			}
		}
		report("witness killed (SIGKILL) and restarted on its data dir after 1s: %s ACTIVE at epoch %d (before: %s at epoch %d)", act.name, nepoch, before.name, epoch)
	})

	t.Run("partition between regions", func(t *testing.T) {
		// The controllers have no path to each other: they coordinate only
		// through the witness. Cutting the region-to-region network is
		// therefore this: both keep the witness, and nothing may change.
		act, sb, epoch := roles(t, a, b)
		steady(t, act, sb, epoch, 2*ttl)
		report("partition between regions (no direct path exists): %s stayed ACTIVE at epoch %d for %s", act.name, epoch, 2*ttl)
	})

	t.Run("planned switchover", func(t *testing.T) {
		act, sb, _ := roles(t, a, b)
		// A requested database merged now, long after the FailoverGroups:
		// the selector picks it up at the next resync in both regions.
		a.createRequested(t)
		b.createRequested(t)
		want := "orders-" + act.name
		deadline := time.Now().Add(4 * ttl)
		for act.requestedReplica(t)["primary"] != want || sb.requestedReplica(t)["primary"] != want {
			if time.Now().After(deadline) {
				t.Fatalf("the requested members did not follow the active region %s: %s says %v, %s says %v",
					act.name, act.name, act.requestedReplica(t), sb.name, sb.requestedReplica(t))
			}
			time.Sleep(50 * time.Millisecond)
		}
		key := client.ObjectKey{Namespace: "shop", Name: "shop"}
		request := &failoverv1.SwitchoverRequest{ID: "drill-1", Target: sb.name, By: "e2e@openova.test", At: &metav1.Time{Time: time.Now()}}
		opctx, stopOp := context.WithTimeout(context.Background(), 4*ttl)
		defer stopOp()
		opErr := make(chan error, 2)
		go func() { opErr <- act.playCNPGOperator(opctx, "demotion-token-drill-1") }()
		go func() {
			opErr <- act.playCNPGOperatorOn(opctx, act.requested, "orders-"+sb.name, "demotion-token-orders")
		}()
		t0 := time.Now()
		// The controller writes the status on every renewal: read again
		// on a conflict, as `catalyst failover switchover` does.
		if err := kretry.RetryOnConflict(kretry.DefaultBackoff, func() error {
			var fg failoverv1.FailoverGroup
			if err := act.env.Client.Get(context.Background(), key, &fg); err != nil {
				return err
			}
			fg.Spec.Switchover = request
			return act.env.Client.Update(context.Background(), &fg)
		}); err != nil {
			t.Fatal(err)
		}
		up := waitState(t, sb, "ACTIVE", 4*ttl)
		for range 2 {
			if err := <-opErr; err != nil {
				t.Fatalf("publishing the demotion token as the CNPG operator would: %v", err)
			}
		}
		if r := sb.requestedReplica(t); r["primary"] != "orders-"+sb.name || r["promotionToken"] != "demotion-token-orders" {
			t.Fatalf("the requested database on %s: spec.replica %v; want it promoted with its peer member's demotion token", sb.name, r)
		}
		if r := act.requestedReplica(t); r["primary"] != "orders-"+sb.name {
			t.Fatalf("the requested database on %s still names primary %q", act.name, r["primary"])
		}
		pg := sb.cluster()
		if err := sb.env.Client.Get(context.Background(), client.ObjectKeyFromObject(pg), pg); err != nil {
			t.Fatal(err)
		}
		if tok, _, _ := unstructured.NestedString(pg.Object, "spec", "replica", "promotionToken"); tok != "demotion-token-drill-1" {
			t.Fatalf("%s promoted with promotionToken %q, want the peer's demotion token", sb.name, tok)
		}
		waitState(t, act, "STANDBY", 2*ttl)
		if act.rebuild(t) {
			t.Fatalf("%s was marked for rebuild after an orderly switchover", act.name)
		}
		report("planned switchover %s -> %s: %s from the request to %s ACTIVE with every actuator confirmed; CNPG (listed and selected by label) promoted with the demotion tokens read from the peer's API server", act.name, sb.name, up.Sub(t0).Round(time.Millisecond), sb.name)
	})

	cancel()
	<-done
	o := obs.result()
	report("effects observed: %d samples (50ms) of both API servers, %d read errors; overlaps: gate %d, CNPG primary %d, /ready %d; frozen-region stale effects: %d samples, %s",
		o.samples, o.errors, o.gateOverlap, o.pgOverlap, o.readyOverlap, o.frozenStale, o.frozenStaleTotal.Round(time.Millisecond))
	if o.gateOverlap != 0 || o.pgOverlap != 0 || o.readyOverlap != 0 {
		t.Errorf("split brain observed: gate %d, CNPG %d, /ready %d samples; first: %v", o.gateOverlap, o.pgOverlap, o.readyOverlap, o.first)
	}
	if o.samples < 100 {
		t.Errorf("only %d samples: the observer did not watch the run", o.samples)
	}
	t.Log("SUMMARY e2e failover (TTL 3s, renew 1s, retry 0.5s, fence margin 0.5s):")
	for _, s := range summary {
		t.Log("  " + s)
	}
}
