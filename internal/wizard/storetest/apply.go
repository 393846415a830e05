package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/wizard"
)

// testApplyJournal: the journal survives a restart; the lease is taken by
// one replica at a time, judged by the database's clock (an expired lease
// is one whose TTL has passed: here a negative TTL); a replica whose lease
// was taken over records nothing.
func testApplyJournal(t *testing.T, tg Target) {
	ctx, s := context.Background(), tg.Store
	o, _ := seed(t, s, "acme")
	g, _ := seed(t, s, "globex")
	if err := s.CreateBootstrap(ctx, sampleBootstrap("b1", o.ID)); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateApplyRun(ctx, &wizard.ApplyRun{OrgID: g.ID, BootstrapID: "b1", Created: t0}); code(err) != wizard.ENOTFOUND {
		t.Fatalf("a run for another organisation's bootstrap: %v, want not found", err)
	}
	run := &wizard.ApplyRun{OrgID: o.ID, BootstrapID: "b1", Status: wizard.ApplyRunning, Created: t0}
	if err := s.CreateApplyRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateApplyRun(ctx, run); code(err) != wizard.ECONFLICT {
		t.Fatalf("second CreateApplyRun: %v, want conflict", err)
	}
	if rs, err := s.ResumableApplyRuns(ctx); err != nil || len(rs) != 1 {
		t.Fatalf("ResumableApplyRuns with a free lease = %v, %v; want the run", rs, err)
	}
	step := func(holder, st string, plan []byte) error {
		return s.AppendApplyStep(ctx, o.ID, "b1", holder, wizard.ApplyRecord{Step: st, At: t0}, plan)
	}
	if err := step("replica-a", "init", nil); code(err) != wizard.ECONFLICT {
		t.Fatalf("a step without the lease: %v, want conflict", err)
	}
	take := func(holder string, ttl time.Duration) bool {
		t.Helper()
		ok, err := s.AcquireApplyLease(ctx, o.ID, "b1", holder, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !take("replica-a", time.Minute) || !take("replica-a", time.Minute) {
		t.Fatal("replica-a cannot take, then renew, a free lease")
	}
	if take("replica-b", time.Minute) {
		t.Fatal("replica-b took a lease replica-a holds")
	}
	if rs, _ := s.ResumableApplyRuns(ctx); len(rs) != 0 {
		t.Fatalf("a held run is offered for resumption: %v", rs)
	}
	if ok, err := s.AcquireApplyLease(ctx, g.ID, "b1", "replica-c", time.Minute); ok || code(err) != wizard.ENOTFOUND {
		t.Fatalf("another organisation's lease = %v, %v; want not found", ok, err)
	}
	if err := step("replica-a", "init", nil); err != nil {
		t.Fatal(err)
	}
	plan := []byte("encrypted-plan\x00bytes")
	if err := step("replica-a", "plan", plan); err != nil {
		t.Fatal(err)
	}
	// replica-a stops renewing: its lease lapses.
	if !take("replica-a", -time.Second) {
		t.Fatal("renew with a past expiry")
	}
	if rs, _ := s.ResumableApplyRuns(ctx); len(rs) != 1 {
		t.Fatalf("an expired lease's run is not offered for resumption: %v", rs)
	}
	if !take("replica-b", time.Minute) {
		t.Fatal("replica-b cannot take an expired lease")
	}
	if err := step("replica-a", "approve", nil); code(err) != wizard.ECONFLICT {
		t.Fatalf("replica-a recorded a step after losing its lease: %v", err)
	}
	if err := s.SetApplyStatus(ctx, o.ID, "b1", "awaiting-approval", ""); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseApplyLease(ctx, o.ID, "b1", "replica-a"); err != nil {
		t.Fatal(err)
	}
	if take("replica-c", time.Minute) {
		t.Fatal("a stale holder's release freed replica-b's lease")
	}
	if err := s.ReleaseApplyLease(ctx, o.ID, "b1", "replica-b"); err != nil {
		t.Fatal(err)
	}
	s = tg.Reopen(t)
	got, err := s.ApplyRun(ctx, o.ID, "b1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Steps) != 2 || got.Steps[0].Step != "init" || got.Steps[1].Step != "plan" || !got.Steps[1].At.Equal(t0) ||
		!bytes.Equal(got.Plan, plan) || got.Status != "awaiting-approval" || got.Holder != "" {
		t.Fatalf("run after restart = %+v", got)
	}
	if _, err := s.ApplyRun(ctx, g.ID, "b1"); code(err) != wizard.ENOTFOUND {
		t.Fatalf("another organisation reads the run: %v", err)
	}
	if rs, _ := s.ResumableApplyRuns(ctx); len(rs) != 0 {
		t.Fatalf("a run awaiting approval is offered for resumption: %v", rs)
	}
	if err := s.SetApplyStatus(ctx, o.ID, "b1", wizard.ApplyDestroying, "jane"); err != nil {
		t.Fatal(err)
	}
	if rs, _ := s.ResumableApplyRuns(ctx); len(rs) != 1 || rs[0].RequestedBy != "jane" || rs[0].Status != wizard.ApplyDestroying {
		t.Fatalf("a destroy to resume = %+v, want the run, requested by jane", rs)
	}
	if err := s.SetApplyStatus(ctx, g.ID, "b1", "done", ""); code(err) != wizard.ENOTFOUND {
		t.Fatalf("another organisation sets the status: %v", err)
	}
	if err := s.DeleteBootstrap(ctx, o.ID, "b1"); err != nil {
		t.Fatalf("delete a bootstrap with an apply: %v", err)
	}
	if _, err := s.ApplyRun(ctx, o.ID, "b1"); code(err) != wizard.ENOTFOUND {
		t.Fatalf("the run outlived its bootstrap: %v", err)
	}
}

// testApplyEvents: event IDs count up per run; log lines older than the
// newest keepLogs events are dropped, steps and status changes never.
func testApplyEvents(t *testing.T, tg Target) {
	ctx, s := context.Background(), tg.Store
	o, _ := seed(t, s, "acme")
	for _, id := range []string{"b1", "b2"} {
		if err := s.CreateBootstrap(ctx, sampleBootstrap(id, o.ID)); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateApplyRun(ctx, &wizard.ApplyRun{OrgID: o.ID, BootstrapID: id, Created: t0}); err != nil {
			t.Fatal(err)
		}
	}
	add := func(b, kind, text string) int64 {
		t.Helper()
		e := &wizard.ApplyEvent{Kind: kind, Step: "plan", Text: text, At: t0}
		if err := s.AppendApplyEvents(ctx, o.ID, b, []*wizard.ApplyEvent{e}, 3); err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	if id := add("b1", "status", "running"); id != 1 {
		t.Fatalf("first event ID = %d, want 1", id)
	}
	for i := 0; i < 5; i++ {
		add("b1", "log", string(rune('a'+i)))
	}
	if id := add("b2", "status", "running"); id != 1 {
		t.Fatalf("another run's first event ID = %d, want 1", id)
	}
	if id := add("b1", "step", ""); id != 7 {
		t.Fatalf("event ID after 6 = %d, want 7", id)
	}
	s = tg.Reopen(t)
	evs, err := s.ApplyEvents(ctx, o.ID, "b1", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		got = append(got, e.Kind+":"+e.Text)
	}
	if want := []string{"status:running", "log:d", "log:e", "step:"}; !equal(got, want) {
		t.Fatalf("events = %v; want %v (the log lines among the newest 3 events, every other event)", got, want)
	}
	if after, _ := s.ApplyEvents(ctx, o.ID, "b1", 5, 1); len(after) != 1 || after[0].ID != 6 || after[0].Text != "e" {
		t.Fatalf("events after 5, limit 1 = %+v; want event 6 (log e)", after)
	}
	if id := add("b1", "log", "f"); id != 8 {
		t.Fatalf("event ID after a restart = %d, want 8", id)
	}
	batch := []*wizard.ApplyEvent{{Kind: "log", Text: "g", At: t0}, {Kind: "log", Text: "h", At: t0}, {Kind: "status", Text: "done", At: t0}}
	if err := s.AppendApplyEvents(ctx, o.ID, "b1", batch, 3); err != nil {
		t.Fatal(err)
	}
	if batch[0].ID != 9 || batch[2].ID != 11 {
		t.Fatalf("batch IDs = %d..%d, want 9..11", batch[0].ID, batch[2].ID)
	}
	evs, _ = s.ApplyEvents(ctx, o.ID, "b1", 0, 100)
	got = got[:0]
	for _, e := range evs {
		got = append(got, e.Kind+":"+e.Text)
	}
	if want := []string{"status:running", "step:", "log:g", "log:h", "status:done"}; !equal(got, want) {
		t.Fatalf("events after a batch = %v; want %v", got, want)
	}
	if err := s.AppendApplyEvents(ctx, o.ID, "nope", batch[:1], 3); code(err) != wizard.ENOTFOUND {
		t.Fatalf("events of an apply that does not exist: %v, want not found", err)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
