package lease

import (
	"math/rand/v2"
	"testing"
	"time"
)

const ttl = 30 * time.Second

func ptr(v uint64) *uint64 { return &v }

func TestAcquireFreeLeaseGrantsEpochOne(t *testing.T) {
	l, r := Acquire(Lease{Name: "db"}, AcquireRequest{Holder: "eu", TTL: ttl}, 5*time.Second)
	if r.Outcome != Granted || l.Epoch != 1 || l.Holder != "eu" || l.ExpiresAt != 35*time.Second {
		t.Fatalf("got %v %+v", r.Outcome, l)
	}
	if l.StatusAt(34*time.Second) != StatusHeld || l.StatusAt(35*time.Second) != StatusExpired {
		t.Fatalf("held until strictly before ExpiresAt: %v %v", l.StatusAt(34*time.Second), l.StatusAt(35*time.Second))
	}
}

func TestAcquireHeldByOtherIsConflict(t *testing.T) {
	l, _ := Acquire(Lease{Name: "db"}, AcquireRequest{Holder: "eu", TTL: ttl}, 0)
	after, r := Acquire(l, AcquireRequest{Holder: "us", TTL: ttl}, ttl-time.Nanosecond)
	if r.Outcome != Conflict || after != l || r.Reason == "" {
		t.Fatalf("got %v %+v %q", r.Outcome, after, r.Reason)
	}
}

func TestAcquireAfterExpiryGrantsHigherEpoch(t *testing.T) {
	l, _ := Acquire(Lease{Name: "db"}, AcquireRequest{Holder: "eu", TTL: ttl}, 0)
	l, r := Acquire(l, AcquireRequest{Holder: "us", TTL: ttl}, ttl)
	if r.Outcome != Granted || l.Epoch != 2 || l.Holder != "us" {
		t.Fatalf("got %v %+v", r.Outcome, l)
	}
}

func TestAcquireBySameHolderExtendsWithoutNewEpoch(t *testing.T) {
	l, _ := Acquire(Lease{Name: "db"}, AcquireRequest{Holder: "eu", TTL: ttl}, 0)
	l, r := Acquire(l, AcquireRequest{Holder: "eu", TTL: 2 * ttl}, 10*time.Second)
	if r.Outcome != Extended || l.Epoch != 1 || l.ExpiresAt != 70*time.Second || l.TTL != 2*ttl {
		t.Fatalf("got %v %+v", r.Outcome, l)
	}
}

func TestAcquireIfEpoch(t *testing.T) {
	l, _ := Acquire(Lease{Name: "db"}, AcquireRequest{Holder: "eu", TTL: ttl}, 0)
	// expired at epoch 1; a takeover approved for epoch 0 must not happen.
	if _, r := Acquire(l, AcquireRequest{Holder: "us", TTL: ttl, IfEpoch: ptr(0)}, ttl); r.Outcome != Conflict {
		t.Fatalf("stale IfEpoch: got %v", r.Outcome)
	}
	l, r := Acquire(l, AcquireRequest{Holder: "us", TTL: ttl, IfEpoch: ptr(1)}, ttl)
	if r.Outcome != Granted || l.Epoch != 2 {
		t.Fatalf("matching IfEpoch: got %v %+v", r.Outcome, l)
	}
	// The same request retried (its answer was lost) gets the same grant.
	l, r = Acquire(l, AcquireRequest{Holder: "us", TTL: ttl, IfEpoch: ptr(1)}, ttl+time.Second)
	if r.Outcome != Extended || l.Epoch != 2 {
		t.Fatalf("retried IfEpoch: got %v %+v", r.Outcome, l)
	}
	// ...but not once that grant has ended.
	if _, r = Acquire(l, AcquireRequest{Holder: "us", TTL: ttl, IfEpoch: ptr(1)}, 3*ttl); r.Outcome != Conflict {
		t.Fatalf("retry after expiry: got %v", r.Outcome)
	}
}

func TestRenew(t *testing.T) {
	l, _ := Acquire(Lease{Name: "db"}, AcquireRequest{Holder: "eu", TTL: ttl}, 0)
	cases := []struct {
		name string
		req  RenewRequest
		now  time.Duration
		want Outcome
	}{
		{"holder before expiry", RenewRequest{"eu", 1}, ttl - 1, Renewed},
		{"holder at expiry", RenewRequest{"eu", 1}, ttl, Expired},
		{"wrong epoch", RenewRequest{"eu", 2}, 1, Conflict},
		{"other holder", RenewRequest{"us", 1}, 1, Conflict},
		{"other holder after expiry", RenewRequest{"us", 1}, 2 * ttl, Conflict},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			after, r := Renew(l, c.req, c.now)
			if r.Outcome != c.want {
				t.Fatalf("got %v (%s)", r.Outcome, r.Reason)
			}
			if c.want != Renewed && after != l {
				t.Fatalf("a refusal changed the lease: %+v", after)
			}
			if c.want == Renewed && (after.ExpiresAt != c.now+ttl || after.Epoch != 1) {
				t.Fatalf("renewed to %+v", after)
			}
		})
	}
	if _, r := Renew(Lease{Name: "db"}, RenewRequest{"eu", 0}, 0); r.Outcome != Conflict {
		t.Fatalf("renew of a never-granted lease: %v", r.Outcome)
	}
}

func TestReleaseEndsGrantForGood(t *testing.T) {
	l, _ := Acquire(Lease{Name: "db"}, AcquireRequest{Holder: "eu", TTL: ttl}, 0)
	if _, r := Release(l, ReleaseRequest{"us", 1}, 1); r.Outcome != Conflict {
		t.Fatalf("release by other: %v", r.Outcome)
	}
	l, r := Release(l, ReleaseRequest{"eu", 1}, time.Second)
	if r.Outcome != Released || l.StatusAt(time.Second) != StatusReleased {
		t.Fatalf("release: %v %v", r.Outcome, l.StatusAt(time.Second))
	}
	again, r := Release(l, ReleaseRequest{"eu", 1}, 2*time.Second)
	if r.Outcome != Released || again != l {
		t.Fatalf("retried release: %v %+v", r.Outcome, again)
	}
	if _, r := Renew(l, RenewRequest{"eu", 1}, 2*time.Second); r.Outcome != Expired {
		t.Fatalf("renew after release: %v", r.Outcome)
	}
	l, r = Acquire(l, AcquireRequest{Holder: "us", TTL: ttl}, 2*time.Second)
	if r.Outcome != Granted || l.Epoch != 2 {
		t.Fatalf("acquire after release: %v %+v", r.Outcome, l)
	}
}

func TestReadNeverReportsExpiredAsHeld(t *testing.T) {
	l, _ := Acquire(Lease{Name: "db"}, AcquireRequest{Holder: "eu", TTL: ttl}, 0)
	if l.RemainingAt(ttl-time.Second) != time.Second || l.RemainingAt(ttl) != 0 {
		t.Fatalf("remaining: %v %v", l.RemainingAt(ttl-time.Second), l.RemainingAt(ttl))
	}
	if (Lease{}).StatusAt(0) != StatusFree {
		t.Fatal("a never-granted lease is free")
	}
}

// TestPropertyRandomHistories drives random requests from three holders
// against one lease and checks, at every step, the witness's guarantees: a
// grant's epoch is higher than every earlier one, epochs never decrease, two
// holders are never granted overlapping intervals, and refusals change
// nothing.
func TestPropertyRandomHistories(t *testing.T) {
	holders := []string{"a", "b", "c"}
	for seed := uint64(0); seed < 300; seed++ {
		rng := rand.New(rand.NewPCG(seed, 42))
		l := Lease{Name: "db"}
		var now time.Duration
		// per holder: the epoch it believes it holds
		epochs := map[string]uint64{}
		type interval struct {
			holder   string
			from, to time.Duration
		}
		var last interval
		for step := 0; step < 500; step++ {
			now += time.Duration(rng.IntN(20)) * time.Second
			h := holders[rng.IntN(len(holders))]
			before := l
			var r Result
			switch rng.IntN(4) {
			case 0:
				var ifEpoch *uint64
				if rng.IntN(2) == 0 {
					ifEpoch = ptr(uint64(rng.IntN(int(l.Epoch) + 2)))
				}
				l, r = Acquire(l, AcquireRequest{Holder: h, TTL: time.Duration(1+rng.IntN(40)) * time.Second, IfEpoch: ifEpoch}, now)
			case 1:
				l, r = Renew(l, RenewRequest{Holder: h, Epoch: epochs[h]}, now)
			case 2:
				l, r = Release(l, ReleaseRequest{Holder: h, Epoch: epochs[h]}, now)
			case 3:
				r = Result{Outcome: Read, Lease: l}
			}
			if l.Epoch < before.Epoch {
				t.Fatalf("seed %d step %d: epoch went down %d -> %d", seed, step, before.Epoch, l.Epoch)
			}
			switch r.Outcome {
			case Conflict, Expired, Read:
				if l != before {
					t.Fatalf("seed %d step %d: %v changed the lease", seed, step, r.Outcome)
				}
			case Granted:
				if l.Epoch != before.Epoch+1 {
					t.Fatalf("seed %d step %d: grant epoch %d after %d", seed, step, l.Epoch, before.Epoch)
				}
				if last.holder != "" && last.holder != h && now < last.to {
					t.Fatalf("seed %d step %d: %s granted at %v while %s held until %v", seed, step, h, now, last.holder, last.to)
				}
				epochs[h] = l.Epoch
				last = interval{h, now, l.ExpiresAt}
			case Extended, Renewed:
				if l.Epoch != before.Epoch || l.Holder != h {
					t.Fatalf("seed %d step %d: %v changed epoch or holder", seed, step, r.Outcome)
				}
				epochs[h] = l.Epoch
				last.to = l.ExpiresAt
			case Released:
				if l.StatusAt(now) == StatusHeld {
					t.Fatalf("seed %d step %d: released but held", seed, step)
				}
				if l.Released {
					last.to = now
				}
			}
		}
	}
}

func TestValidate(t *testing.T) {
	lim := DefaultLimits
	bad := []AcquireRequest{
		{Holder: "", TTL: ttl},
		{Holder: "EU", TTL: ttl},
		{Holder: "eu-", TTL: ttl},
		{Holder: "eu", TTL: 0},
		{Holder: "eu", TTL: time.Hour},
		{Holder: "eu", TTL: ttl, IfEpoch: ptr(MaxEpoch + 1)},
	}
	for _, req := range bad {
		if err := lim.ValidateAcquire(req); err == nil {
			t.Errorf("accepted %+v", req)
		}
	}
	if err := lim.ValidateAcquire(AcquireRequest{Holder: "eu-west-1", TTL: ttl}); err != nil {
		t.Errorf("refused a good request: %v", err)
	}
	if ValidateGrant("eu", 0) == nil || ValidateGrant("eu", 1) != nil {
		t.Error("epoch 0 is never a grant; 1 is")
	}
}
