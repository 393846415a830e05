package wizard_test

import (
	"testing"
	"time"

	"github.com/openova-io/openova/internal/wizard"
)

func TestLoginPolicyBlockedUntil(t *testing.T) {
	p := wizard.DefaultLoginPolicy
	last := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		failures  int
		now       time.Time
		blocked   bool
		wantUntil time.Time
	}{
		{"no failures", 0, last, false, time.Time{}},
		{"one short of the limit", 4, last, false, time.Time{}},
		{"at the limit, at the last failure", 5, last, true, last.Add(15 * time.Minute)},
		{"at the limit, a second before the lockout ends", 5, last.Add(15*time.Minute - time.Second), true, last.Add(15 * time.Minute)},
		{"at the limit, when the lockout ends", 5, last.Add(15 * time.Minute), false, last.Add(15 * time.Minute)},
		{"over the limit (concurrent replicas)", 7, last.Add(time.Minute), true, last.Add(15 * time.Minute)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			until, blocked := p.BlockedUntil(wizard.LoginCounter{Failures: tc.failures, Last: last}, tc.now)
			if blocked != tc.blocked || !until.Equal(tc.wantUntil) {
				t.Fatalf("BlockedUntil = %s, %v; want %s, %v", until, blocked, tc.wantUntil, tc.blocked)
			}
		})
	}
}

func TestLoginPolicyTimes(t *testing.T) {
	now := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name           string
		p              wizard.LoginPolicy
		restart, stale time.Time
	}{
		{"default", wizard.DefaultLoginPolicy, now.Add(-15 * time.Minute), now.Add(-15 * time.Minute)},
		{"lockout longer than the window", wizard.LoginPolicy{MaxFailures: 3, Window: time.Minute, Lockout: time.Hour}, now.Add(-time.Minute), now.Add(-time.Hour)},
		{"window longer than the lockout", wizard.LoginPolicy{MaxFailures: 3, Window: time.Hour, Lockout: time.Minute}, now.Add(-time.Hour), now.Add(-time.Hour)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.p.RestartAt(now); !got.Equal(tc.restart) {
				t.Errorf("RestartAt = %s, want %s", got, tc.restart)
			}
			if got := tc.p.StaleAt(now); !got.Equal(tc.stale) {
				t.Errorf("StaleAt = %s, want %s", got, tc.stale)
			}
		})
	}
}
