package conformance

import (
	"fmt"
	"sync"
	"testing"

	"github.com/openova-io/openova/internal/lease"
)

type testCase struct {
	name string
	run  func(t *testing.T, s *suite)
}

func u(v uint64) *uint64 { return &v }

var regions = []string{"region-a", "region-b", "region-c"}

var cases = []testCase{
	{"ReadOfUnknownLeaseIsFree", func(t *testing.T, s *suite) {
		wantStatus(t, "read", s.read(t, s.lease()), lease.StatusFree, "", 0)
	}},
	{"AcquireGrantsEpochOne", func(t *testing.T, s *suite) {
		name := s.lease()
		v := s.acquire(t, name, "region-a", TTL)
		wantStatus(t, "grant", v, lease.StatusHeld, "region-a", 1)
		if v.TTLMs != TTL.Milliseconds() || v.RemainingMs > TTL.Milliseconds() {
			t.Fatalf("grant: ttlMs %d remainingMs %d", v.TTLMs, v.RemainingMs)
		}
		wantStatus(t, "read", s.read(t, name), lease.StatusHeld, "region-a", 1)
	}},
	{"AcquireWhileHeldIsConflict", func(t *testing.T, s *suite) {
		name := s.lease()
		s.acquire(t, name, "region-a", LongTTL)
		_, err := s.client(t, "region-b").Acquire(ctx(t), name, lease.AcquireRequest{Holder: "region-b", TTL: TTL})
		e := wantErr(t, "second acquire", err, lease.ErrConflict)
		wantStatus(t, "conflict's lease", *e.Lease, lease.StatusHeld, "region-a", 1)
	}},
	{"RetriedAcquireReturnsTheSameGrant", func(t *testing.T, s *suite) {
		name := s.lease()
		c := s.client(t, "region-a")
		for i, want := range []lease.Outcome{lease.Granted, lease.Extended} {
			r, err := c.Acquire(ctx(t), name, lease.AcquireRequest{Holder: "region-a", TTL: TTL, IfEpoch: u(0)})
			if err != nil {
				t.Fatalf("acquire %d: %v", i, err)
			}
			if r.Outcome != want || r.Lease.Epoch != 1 {
				t.Fatalf("acquire %d: %s at epoch %d, want %s at 1", i, r.Outcome, r.Lease.Epoch, want)
			}
		}
	}},
	{"RenewKeepsEpochAndChecksIt", func(t *testing.T, s *suite) {
		name := s.lease()
		s.acquire(t, name, "region-a", TTL)
		c := s.client(t, "region-a")
		r, err := c.Renew(ctx(t), name, "region-a", 1)
		if err != nil || r.Outcome != lease.Renewed || r.Lease.Epoch != 1 {
			t.Fatalf("renew: %+v %v", r, err)
		}
		_, err = c.Renew(ctx(t), name, "region-a", 2)
		wantErr(t, "renew of a wrong epoch", err, lease.ErrConflict)
		_, err = s.client(t, "region-b").Renew(ctx(t), name, "region-b", 1)
		wantErr(t, "renew by a non-holder", err, lease.ErrConflict)
	}},
	{"RenewsKeepTheLeaseBeyondItsTTL", func(t *testing.T, s *suite) {
		name := s.lease()
		s.acquire(t, name, "region-a", TTL)
		c := s.client(t, "region-a")
		for i := 0; i < 3; i++ {
			s.target.Advance(t, TTL/2)
			if _, err := c.Renew(ctx(t), name, "region-a", 1); err != nil {
				t.Fatalf("renew %d: %v", i, err)
			}
		}
		wantStatus(t, "read", s.read(t, name), lease.StatusHeld, "region-a", 1)
	}},
	{"ExpiryIsJudgedByTheWitness", func(t *testing.T, s *suite) {
		name := s.lease()
		s.acquire(t, name, "region-a", TTL)
		s.target.Advance(t, past)
		wantStatus(t, "read after TTL", s.read(t, name), lease.StatusExpired, "region-a", 1)
		_, err := s.client(t, "region-a").Renew(ctx(t), name, "region-a", 1)
		e := wantErr(t, "renew after TTL", err, lease.ErrExpired)
		wantStatus(t, "expired's lease", *e.Lease, lease.StatusExpired, "region-a", 1)
		wantStatus(t, "takeover", s.acquire(t, name, "region-b", TTL), lease.StatusHeld, "region-b", 2)
		_, err = s.client(t, "region-a").Renew(ctx(t), name, "region-a", 1)
		wantErr(t, "old holder's renew after takeover", err, lease.ErrConflict)
	}},
	{"ReleaseEndsTheGrant", func(t *testing.T, s *suite) {
		name := s.lease()
		s.acquire(t, name, "region-a", LongTTL)
		_, err := s.client(t, "region-b").Release(ctx(t), name, "region-b", 1)
		wantErr(t, "release by a non-holder", err, lease.ErrConflict)
		c := s.client(t, "region-a")
		for i := 0; i < 2; i++ { // the second is a retry and must not fail
			r, err := c.Release(ctx(t), name, "region-a", 1)
			if err != nil || r.Outcome != lease.Released {
				t.Fatalf("release %d: %+v %v", i, r, err)
			}
			wantStatus(t, "release", *r.Lease, lease.StatusReleased, "region-a", 1)
		}
		_, err = c.Renew(ctx(t), name, "region-a", 1)
		wantErr(t, "renew after release", err, lease.ErrExpired)
		wantStatus(t, "acquire after release", s.acquire(t, name, "region-b", TTL), lease.StatusHeld, "region-b", 2)
	}},
	{"IfEpochIsCompareAndSet", func(t *testing.T, s *suite) {
		name := s.lease()
		s.acquire(t, name, "region-a", TTL)
		s.target.Advance(t, past)
		b := s.client(t, "region-b")
		_, err := b.Acquire(ctx(t), name, lease.AcquireRequest{Holder: "region-b", TTL: TTL, IfEpoch: u(0)})
		wantErr(t, "acquire with a stale ifEpoch", err, lease.ErrConflict)
		r, err := b.Acquire(ctx(t), name, lease.AcquireRequest{Holder: "region-b", TTL: TTL, IfEpoch: u(1)})
		if err != nil || r.Outcome != lease.Granted || r.Lease.Epoch != 2 {
			t.Fatalf("acquire with the current ifEpoch: %+v %v", r, err)
		}
	}},
	{"EpochsStrictlyIncrease", func(t *testing.T, s *suite) {
		name := s.lease()
		var last uint64
		for i := 0; i < 6; i++ {
			region := regions[i%3]
			v := s.acquire(t, name, region, TTL)
			if v.Epoch <= last {
				t.Fatalf("grant %d: epoch %d after %d", i, v.Epoch, last)
			}
			last = v.Epoch
			if _, err := s.client(t, region).Release(ctx(t), name, region, v.Epoch); err != nil {
				t.Fatal(err)
			}
		}
	}},
	{"ConcurrentAcquiresGrantExactlyOne", func(t *testing.T, s *suite) {
		name := s.lease()
		type answer struct {
			region string
			r      lease.Reply
			err    error
		}
		var wg sync.WaitGroup
		answers := make(chan answer, 30)
		for i := 0; i < 30; i++ {
			region := regions[i%3]
			c := s.client(t, region)
			cx := ctx(t)
			wg.Add(1)
			go func() {
				defer wg.Done()
				r, err := c.Acquire(cx, name, lease.AcquireRequest{Holder: region, TTL: LongTTL})
				answers <- answer{region, r, err}
			}()
		}
		wg.Wait()
		close(answers)
		winners := map[string]bool{}
		for a := range answers {
			if a.err != nil {
				wantErr(t, a.region+" acquire", a.err, lease.ErrConflict)
				continue
			}
			winners[a.region] = true
			if a.r.Lease.Epoch != 1 {
				t.Errorf("%s granted epoch %d, want 1", a.region, a.r.Lease.Epoch)
			}
		}
		if len(winners) != 1 {
			t.Fatalf("want exactly one holder, got %v", winners)
		}
	}},
	{"LeasesAreIndependent", func(t *testing.T, s *suite) {
		one, two := s.lease(), s.lease()
		s.acquire(t, one, "region-a", LongTTL)
		wantStatus(t, "other lease", s.acquire(t, two, "region-b", LongTTL), lease.StatusHeld, "region-b", 1)
	}},
	{"CredentialsActOnlyForTheirRegion", func(t *testing.T, s *suite) {
		name := s.lease()
		_, err := s.clientWithToken(t, "not-a-token").Read(ctx(t), name)
		wantErr(t, "read with an unknown token", err, lease.ErrUnauthorized)
		a := s.client(t, "region-a")
		_, err = a.Acquire(ctx(t), name, lease.AcquireRequest{Holder: "region-b", TTL: TTL})
		wantErr(t, "region-a acquiring as region-b", err, lease.ErrForbidden)
		s.acquire(t, name, "region-b", LongTTL)
		_, err = a.Renew(ctx(t), name, "region-b", 1)
		wantErr(t, "region-a renewing region-b's grant", err, lease.ErrForbidden)
		_, err = a.Release(ctx(t), name, "region-b", 1)
		wantErr(t, "region-a releasing region-b's grant", err, lease.ErrForbidden)
		wantStatus(t, "after refusals", s.read(t, name), lease.StatusHeld, "region-b", 1)
	}},
	{"StatusCodesAreDistinct", func(t *testing.T, s *suite) {
		name := s.lease()
		p := lease.APIPrefix + name
		a, b := Tokens["region-a"], Tokens["region-b"]
		acq := func(holder, extra string) string {
			return fmt.Sprintf(`{"holder":%q,"ttlMs":%d%s}`, holder, TTL.Milliseconds(), extra)
		}
		checks := []struct {
			what, method, path, token, body string
			status                          int
			code                            lease.Code
		}{
			{"no token", "GET", p, "", "", 401, lease.CodeUnauthorized},
			{"grant", "POST", p + "/acquire", a, acq("region-a", ""), 200, ""},
			{"conflict", "POST", p + "/acquire", b, acq("region-b", ""), 409, lease.CodeConflict},
			{"forbidden", "POST", p + "/acquire", b, acq("region-a", ""), 403, lease.CodeForbidden},
			{"unknown field", "POST", p + "/acquire", a, acq("region-a", `,"ifHolder":"x"`), 400, lease.CodeBadRequest},
			{"malformed JSON", "POST", p + "/renew", a, `{"holder":`, 400, lease.CodeBadRequest},
			{"epoch zero", "POST", p + "/renew", a, `{"holder":"region-a","epoch":0}`, 400, lease.CodeBadRequest},
			{"TTL out of range", "POST", p + "/acquire", a, `{"holder":"region-a","ttlMs":1}`, 400, lease.CodeBadRequest},
			{"bad lease name", "GET", lease.APIPrefix + "Bad_Name", a, "", 400, lease.CodeBadRequest},
			{"unknown route", "GET", "/v2/leases/" + name, a, "", 404, lease.CodeNotFound},
		}
		for _, c := range checks {
			status, r := s.raw(t, c.method, c.path, c.token, c.body)
			if status != c.status {
				t.Errorf("%s: HTTP %d, want %d (%+v)", c.what, status, c.status, r.Error)
				continue
			}
			if c.code == "" {
				if r.Error != nil || r.Lease == nil {
					t.Errorf("%s: success without a lease or with an error: %+v", c.what, r)
				}
			} else if r.Error == nil || r.Error.Code != c.code || r.Error.Message == "" {
				t.Errorf("%s: error %+v, want code %s with a message", c.what, r.Error, c.code)
			}
		}
		s.target.Advance(t, past)
		status, r := s.raw(t, "POST", p+"/renew", a, `{"holder":"region-a","epoch":1}`)
		if status != 410 || r.Error == nil || r.Error.Code != lease.CodeExpired || r.Outcome != lease.Expired {
			t.Errorf("expired: HTTP %d %+v", status, r)
		}
	}},
	{"RestartKeepsAHeldLease", func(t *testing.T, s *suite) {
		name := s.lease()
		s.acquire(t, name, "region-a", LongTTL)
		s.target.Restart(t)
		_, err := s.client(t, "region-b").Acquire(ctx(t), name, lease.AcquireRequest{Holder: "region-b", TTL: TTL})
		wantErr(t, "acquire by another after restart", err, lease.ErrConflict)
		r, err := s.client(t, "region-a").Renew(ctx(t), name, "region-a", 1)
		if err != nil || r.Lease.Epoch != 1 {
			t.Fatalf("holder's renew after restart: %+v %v", r, err)
		}
	}},
	{"RestartKeepsALeaseNoLongerThanNeeded", func(t *testing.T, s *suite) {
		name := s.lease()
		s.acquire(t, name, "region-a", TTL)
		s.target.Restart(t)
		// A restart may hold a lease longer (the Go witness does not count
		// its downtime) but never forever.
		s.target.Advance(t, past)
		wantStatus(t, "after restart and TTL", s.read(t, name), lease.StatusExpired, "region-a", 1)
		wantStatus(t, "takeover", s.acquire(t, name, "region-b", TTL), lease.StatusHeld, "region-b", 2)
	}},
	{"RestartNeverResurrectsAReportedExpiry", func(t *testing.T, s *suite) {
		name := s.lease()
		s.acquire(t, name, "region-a", TTL)
		s.target.Advance(t, past)
		wantStatus(t, "before restart", s.read(t, name), lease.StatusExpired, "region-a", 1)
		s.target.Restart(t)
		wantStatus(t, "after restart", s.read(t, name), lease.StatusExpired, "region-a", 1)
		_, err := s.client(t, "region-a").Renew(ctx(t), name, "region-a", 1)
		wantErr(t, "renew after restart", err, lease.ErrExpired)
	}},
	{"RestartNeverLowersAnEpoch", func(t *testing.T, s *suite) {
		name := s.lease()
		for i, region := range []string{"region-a", "region-b", "region-a"} {
			v := s.acquire(t, name, region, TTL)
			if _, err := s.client(t, region).Release(ctx(t), name, region, v.Epoch); err != nil {
				t.Fatalf("release %d: %v", i, err)
			}
		}
		s.target.Restart(t)
		wantStatus(t, "released before restart", s.read(t, name), lease.StatusReleased, "region-a", 3)
		wantStatus(t, "grant after restart", s.acquire(t, name, "region-b", TTL), lease.StatusHeld, "region-b", 4)
	}},
}
