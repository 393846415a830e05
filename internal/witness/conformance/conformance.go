// Package conformance is the one test suite every witness implementation of
// protocol v1 must pass (docs/witness-protocol.md): the Go witness and the
// Cloudflare Worker run it from their own tests through a Target.
package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/lease"
)

// Target is one running witness under test.
type Target interface {
	// URL is the witness's base URL now (it may change across Restart).
	URL() string
	// Restart stops the witness without warning (no graceful flush) and
	// starts it again on the same persisted state.
	Restart(t testing.TB)
	// Advance returns once at least d has passed on the witness's clock.
	Advance(t testing.TB, d time.Duration)
}

// Tokens are the bearer tokens of the suite's three regions. A target must
// accept exactly these: give the witness their HashToken forms.
var Tokens = map[string]string{
	"region-a": "conformance-token-a-0123456789abcdef0123456789abcdef",
	"region-b": "conformance-token-b-0123456789abcdef0123456789abcdef",
	"region-c": "conformance-token-c-0123456789abcdef0123456789abcdef",
}

// TTL is the TTL the suite asks for; a target's minimum must allow it.
const TTL = time.Second

// LongTTL outlasts any restart, for leases that must still be held after one.
const LongTTL = 60 * time.Second

// past is how far beyond TTL the suite advances to see a lease expire.
const past = TTL + 200*time.Millisecond

// Run runs every case against target, in order (cases restart the target,
// so they never run in parallel).
func Run(t *testing.T, target Target) {
	s := &suite{target: target}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, s) })
	}
}

type suite struct {
	target Target
	n      atomic.Int64
}

// lease returns a fresh lease name, so cases never see each other's leases,
// even across runs on one persisted state.
func (s *suite) lease() string {
	return fmt.Sprintf("lease-%d-%d", time.Now().UnixNano()%1e9, s.n.Add(1))
}

func (s *suite) client(t testing.TB, region string) *lease.Client {
	t.Helper()
	return s.clientWithToken(t, Tokens[region])
}

func (s *suite) clientWithToken(t testing.TB, token string) *lease.Client {
	t.Helper()
	c, err := lease.NewClient(s.target.URL(), token, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	return c
}

func (s *suite) acquire(t testing.TB, name, region string, ttl time.Duration) lease.LeaseView {
	t.Helper()
	r, err := s.client(t, region).Acquire(ctx(t), name, lease.AcquireRequest{Holder: region, TTL: ttl})
	if err != nil {
		t.Fatalf("%s acquire %s: %v", region, name, err)
	}
	return *r.Lease
}

func (s *suite) read(t testing.TB, name string) lease.LeaseView {
	t.Helper()
	r, err := s.client(t, "region-c").Read(ctx(t), name)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return *r.Lease
}

// wantErr checks err is the sentinel want and, for refusals, that the
// witness said who holds the lease.
func wantErr(t testing.TB, what string, err, want error) *lease.Error {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: want %v, got %v", what, want, err)
	}
	var e *lease.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %T is not a *lease.Error", what, err)
	}
	if (want == lease.ErrConflict || want == lease.ErrExpired) && e.Lease == nil {
		t.Fatalf("%s: a %v refusal must carry the lease", what, want)
	}
	return e
}

func wantStatus(t testing.TB, what string, v lease.LeaseView, st lease.Status, holder string, epoch uint64) {
	t.Helper()
	if v.Status != st || v.Holder != holder || v.Epoch != epoch {
		t.Fatalf("%s: want %s by %q at epoch %d, got %s by %q at epoch %d",
			what, st, holder, epoch, v.Status, v.Holder, v.Epoch)
	}
	if (st == lease.StatusHeld) != (v.RemainingMs > 0) {
		t.Fatalf("%s: status %s with remainingMs %d", what, v.Status, v.RemainingMs)
	}
}

// raw sends a request outside the client, for malformed input and exact
// status codes.
func (s *suite) raw(t testing.TB, method, path, token, body string) (int, lease.Reply) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx(t), method, strings.TrimSuffix(s.target.URL(), "/")+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: HTTP %d with Content-Type %q, want JSON", method, path, resp.StatusCode, ct)
	}
	var r lease.Reply
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("%s %s: HTTP %d, body: %v", method, path, resp.StatusCode, err)
	}
	return resp.StatusCode, r
}
