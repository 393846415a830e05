package http

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/openova-io/openova/internal/wizard"
)

// throttle is the sign-in rate limit. Its counters are in the Store, so
// every replica enforces the same limit and a restart forgets nothing; its
// decisions are wizard.LoginPolicy's.
type throttle struct {
	store  wizard.LoginThrottle
	policy wizard.LoginPolicy
}

// admit decides whether a sign-in may check its password, and returns the
// end of the lockout when it may not. A locked-out address or name is
// refused. Otherwise the attempt is counted as a failure of the address,
// then of the name, before its password is checked (the caller takes the
// count back when it proves right: refund): each count is one atomic
// statement, so of a burst of sign-ins on every replica at once only the
// first MaxFailures of an address, whatever names they try, and of a
// name, from whatever addresses, get to check a password.
func (t throttle) admit(ctx context.Context, now time.Time, ip, user string) (time.Time, error) {
	var latest time.Time
	for _, k := range []string{ip, user} {
		c, err := t.store.LoginFailures(ctx, k)
		if err != nil {
			return time.Time{}, fmt.Errorf("read sign-in failures: %w", err)
		}
		if until, blocked := t.policy.BlockedUntil(c, now); blocked && until.After(latest) {
			latest = until
		}
	}
	if !latest.IsZero() {
		return latest, nil
	}
	for _, k := range []string{ip, user} {
		c, err := t.store.RecordLoginFailure(ctx, k, now, t.policy.RestartAt(now))
		if err != nil {
			return time.Time{}, fmt.Errorf("record a sign-in attempt: %w", err)
		}
		if c.Failures > t.policy.MaxFailures { // others of a burst came first
			until, _ := t.policy.BlockedUntil(c, now)
			return until, nil
		}
	}
	return time.Time{}, nil
}

// succeed takes back what admit counted for a sign-in that proved right:
// the name's failures are forgotten, the address's one count is refunded
// (other people's sign-ins through a shared proxy never add to it).
func (t throttle) succeed(ctx context.Context, ip, user string) error {
	if err := t.store.ResetLoginFailures(ctx, user); err != nil {
		return fmt.Errorf("reset sign-in failures: %w", err)
	}
	if err := t.store.RefundLoginFailure(ctx, ip); err != nil {
		return fmt.Errorf("refund a sign-in attempt: %w", err)
	}
	return nil
}

// fail prunes stale counters after a wrong password (admit has counted
// it), so the table holds only the keys that failed within the window.
func (t throttle) fail(ctx context.Context, now time.Time) error {
	if _, err := t.store.PruneLoginFailures(ctx, t.policy.StaleAt(now)); err != nil {
		return fmt.Errorf("prune sign-in failures: %w", err)
	}
	return nil
}

// tooMany is the refusal of a locked-out sign-in, with the wait rounded up
// to the minute.
func tooMany(now, until time.Time) error {
	wait := until.Sub(now)
	return wizard.Errorf(wizard.ETOOMANY, "too many failed sign-ins; try again in %d minutes", int((wait+time.Minute-1)/time.Minute))
}

func ipKey(addr string) string { return "ip:" + addr }

// userKey keys a typed user name by its SHA-256: the counters table never
// holds what was typed (a password typed into the name field, an
// unbounded string), yet one name is one key on every replica.
func userKey(name string) string {
	h := sha256.Sum256([]byte(name))
	return "user:" + hex.EncodeToString(h[:])
}
