package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/wizard"
)

// testLoginThrottle: failures count up atomically (concurrent callers all
// count), a run restarts after a quiet window, a reset forgets, the
// counter survives a restart, and pruning deletes only stale counters.
func testLoginThrottle(t *testing.T, tg Target) {
	ctx, s, p := context.Background(), tg.Store, wizard.DefaultLoginPolicy
	if c, err := s.LoginFailures(ctx, "user:nobody"); err != nil || c != (wizard.LoginCounter{}) {
		t.Fatalf("LoginFailures(no row) = %+v, %v; want the zero counter", c, err)
	}
	at := t0
	for i := 1; i <= 3; i++ {
		c, err := s.RecordLoginFailure(ctx, "user:admin", at, p.RestartAt(at))
		if err != nil || c.Failures != i || !c.Last.Equal(at) {
			t.Fatalf("failure #%d = %+v, %v; want %d at %s", i, c, err, i, at)
		}
		at = at.Add(14 * time.Minute) // each within the window of the one before
	}

	// A lagging replica's clock does not move the last failure back.
	if c, err := s.RecordLoginFailure(ctx, "user:admin", t0, p.RestartAt(t0)); err != nil || c.Failures != 4 || !c.Last.Equal(t0.Add(28*time.Minute)) {
		t.Fatalf("failure from a lagging clock = %+v, %v; want 4 at %s", c, err, t0.Add(28*time.Minute))
	}

	s = tg.Reopen(t)
	if c, err := s.LoginFailures(ctx, "user:admin"); err != nil || c.Failures != 4 {
		t.Fatalf("after a restart = %+v, %v; want 4 failures", c, err)
	}

	// A quiet window ends the run: the next failure is the first again.
	later := t0.Add(28*time.Minute + p.Window)
	if c, err := s.RecordLoginFailure(ctx, "user:admin", later, p.RestartAt(later)); err != nil || c.Failures != 1 || !c.Last.Equal(later) {
		t.Fatalf("failure after a quiet window = %+v, %v; want 1 at %s", c, err, later)
	}

	const n = 20 // as many replicas (or handlers) failing at once
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.RecordLoginFailure(ctx, "ip:192.0.2.7", t0, p.RestartAt(t0)); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent RecordLoginFailure: %v", err)
	}
	if c, _ := s.LoginFailures(ctx, "ip:192.0.2.7"); c.Failures != n {
		t.Fatalf("%d concurrent failures counted %d", n, c.Failures)
	}

	if err := s.ResetLoginFailures(ctx, "user:admin"); err != nil {
		t.Fatal(err)
	}
	if c, err := s.LoginFailures(ctx, "user:admin"); err != nil || c.Failures != 0 {
		t.Fatalf("after a reset = %+v, %v; want none", c, err)
	}
	if err := s.ResetLoginFailures(ctx, "user:admin"); err != nil {
		t.Fatalf("resetting a key with no failures: %v", err)
	}

	// A refund takes back one failure and keeps the time of the last; it
	// never goes below zero, nor creates a counter.
	for i := 0; i < 2; i++ {
		if _, err := s.RecordLoginFailure(ctx, "ip:198.51.100.1", t0, p.RestartAt(t0)); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		if err := s.RefundLoginFailure(ctx, "ip:198.51.100.1"); err != nil {
			t.Fatal(err)
		}
		want := max(1-i, 0)
		if c, _ := s.LoginFailures(ctx, "ip:198.51.100.1"); c.Failures != want || !c.Last.Equal(t0) {
			t.Fatalf("after refund #%d = %+v; want %d failures, last at %s", i+1, c, want, t0)
		}
	}
	if err := s.RefundLoginFailure(ctx, "ip:203.0.113.9"); err != nil {
		t.Fatalf("refund of a key with no counter: %v", err)
	}
	if c, _ := s.LoginFailures(ctx, "ip:203.0.113.9"); c != (wizard.LoginCounter{}) {
		t.Fatalf("a refund created a counter: %+v", c)
	}

	// Prune: the ip counter (last at t0) is stale at t0+window; a fresh one
	// is kept.
	fresh := t0.Add(p.Window)
	if _, err := s.RecordLoginFailure(ctx, "user:fresh", fresh, p.RestartAt(fresh)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneLoginFailures(ctx, p.StaleAt(fresh)); err != nil || n != 2 {
		t.Fatalf("PruneLoginFailures = %d, %v; want 2 deleted (both ip counters)", n, err)
	}
	if c, _ := s.LoginFailures(ctx, "ip:192.0.2.7"); c.Failures != 0 {
		t.Fatalf("stale counter kept: %+v", c)
	}
	if c, _ := s.LoginFailures(ctx, "user:fresh"); c.Failures != 1 {
		t.Fatalf("fresh counter pruned: %+v", c)
	}
}
