package fsm

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

var (
	propRuns = flag.Int("fsm.runs", 3000, "random event sequences per mode in TestProperties")
	propSeed = flag.Uint64("fsm.seed", 0, "replay one sequence of TestProperties")
)

// TestProperties feeds one machine random event sequences: replies lost,
// duplicated, reordered and forged (any outcome, epoch, holder), time
// jumping forward (long pauses) and backward (a broken clock), approvals
// and denials for right and wrong epochs, lag changes and stray actuator
// reports. After every step it checks the local invariants that, with a
// witness that judges expiry itself, make two ACTIVE regions impossible
// (the sim package checks the global one).
func TestProperties(t *testing.T) {
	for _, mode := range []Mode{Automatic, SemiAutomatic, Manual} {
		for _, maxLag := range []time.Duration{0, 5 * time.Second} {
			seeds := []uint64{*propSeed}
			if *propSeed == 0 {
				seeds = seeds[:0]
				for i := range *propRuns {
					seeds = append(seeds, uint64(i)+1)
				}
			}
			for _, seed := range seeds {
				if err := checkSequence(mode, maxLag, seed, 300); err != nil {
					t.Fatalf("mode=%s maxLag=%s: %v\nreplay: go test ./internal/failover/fsm -run TestProperties -fsm.seed=%d", mode, maxLag, err, seed)
				}
			}
		}
	}
}

type sent struct {
	Send
	at time.Duration
}

func checkSequence(mode Mode, maxLag time.Duration, seed uint64, steps int) error {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	m, err := New(Config{Region: "a", Mode: mode, MaxLag: maxLag, TTL: 30 * time.Second})
	if err != nil {
		return err
	}
	var (
		now       time.Duration
		sends     []sent
		valid     = map[uint64]time.Duration{} // epoch -> latest granted send + budget
		approved  = map[uint64]bool{}
		activated uint64
		lastEpoch uint64
		trace     []string
	)
	fail := func(format string, a ...any) error {
		return fmt.Errorf("seed %d: %s\ntrace (last 15):\n%s", seed, fmt.Sprintf(format, a...), tail(trace, 15))
	}
	for range steps {
		now += randomAdvance(rng)
		ev := randomEvent(rng, m, sends)
		if r, ok := ev.(Reply); ok && r.Outcome == OK {
			for _, s := range sends {
				// A granted renewal extends the epoch it named; a grant
				// the epoch in the reply.
				if s.Seq == r.Seq && s.Kind == Renew {
					valid[s.Epoch] = max(valid[s.Epoch], s.at+m.budget)
				}
				if s.Seq == r.Seq && s.Kind == Acquire {
					valid[r.Lease.Epoch] = max(valid[r.Lease.Epoch], s.at+m.budget)
				}
			}
		}
		before := m.Status()
		acts := m.Step(now, ev)
		trace = append(trace, fmt.Sprintf("%s %v -> %v", now, ev, acts))
		st := m.Status()
		for _, a := range acts {
			switch a := a.(type) {
			case Send:
				sends = append(sends, sent{a, max(now, m.now)})
				if a.Kind == Acquire && mode != Automatic && !approved[a.Epoch+1] {
					return fail("%s mode sent acquire over epoch %d without an approval of epoch %d", mode, a.Epoch, a.Epoch+1)
				}
			case Note:
				if a.Kind == "approved" {
					approved[a.Epoch] = true
				}
			case Actuate:
				if a.Op == Activate {
					if a.Epoch <= activated {
						return fail("activate at epoch %d after epoch %d", a.Epoch, activated)
					}
					activated = a.Epoch
					if mode != Automatic && !approved[a.Epoch] {
						return fail("%s mode activated epoch %d without its approval", mode, a.Epoch)
					}
				}
			case Transition:
				if before.State.Holding() && !a.To.Holding() && a.To != Fenced && !(a.From == Demoting && a.To == Standby) {
					return fail("left %s for %s without fencing", a.From, a.To)
				}
			}
		}
		if st.Epoch < lastEpoch {
			return fail("epoch went down from %d to %d", lastEpoch, st.Epoch)
		}
		lastEpoch = st.Epoch
		if st.State.Holding() {
			if m.now >= st.Deadline {
				return fail("holding at %s with deadline %s", m.now, st.Deadline)
			}
			if st.Deadline > valid[st.Epoch] {
				return fail("deadline %s beyond what grants at epoch %d justify (%s)", st.Deadline, st.Epoch, valid[st.Epoch])
			}
		}
		if before.State == Fenced && st.State.Holding() {
			return fail("a fenced region resumed without a new acquisition")
		}
	}
	return nil
}

func randomAdvance(rng *rand.Rand) time.Duration {
	switch r := rng.IntN(100); {
	case r < 3:
		return time.Duration(rng.IntN(120)) * time.Second // long pause
	case r < 5:
		return -time.Duration(rng.IntN(20)) * time.Second // clock goes back
	default:
		return time.Duration(rng.IntN(3000)) * time.Millisecond
	}
}

func randomEvent(rng *rand.Rand, m *Machine, sends []sent) Event {
	epoch := m.Status().Epoch
	near := func() uint64 { return uint64(max(0, int64(epoch)+int64(rng.IntN(5))-2)) }
	switch r := rng.IntN(100); {
	case r < 25:
		return Tick{}
	case r < 75 && len(sends) > 0:
		// Any request sent so far: a reply may be late, repeated or
		// out of order, and may say anything.
		s := sends[max(0, len(sends)-1-rng.IntN(min(len(sends), 6)))]
		l := Lease{Holder: []string{"", "a", "b"}[rng.IntN(3)], Epoch: near(), Held: rng.IntN(2) == 0,
			ExpiresIn: time.Duration(rng.IntN(30)) * time.Second}
		if s.Kind == Acquire && rng.IntN(2) == 0 {
			l = Lease{Holder: "a", Epoch: s.Epoch + 1, Held: true}
		}
		if s.Kind == Renew && rng.IntN(2) == 0 {
			l = Lease{Holder: "a", Epoch: s.Epoch, Held: true}
		}
		return Reply{Seq: s.Seq, Outcome: Outcome(rng.IntN(4)), Lease: l}
	case r < 82:
		return Lag{Lag: time.Duration(rng.IntN(10)) * time.Second, Unknown: rng.IntN(5) == 0}
	case r < 90:
		return ActuatorsDone{Op: ActuatorOp(rng.IntN(3)), Epoch: near()}
	case r < 95:
		return Approve{Epoch: near(), By: "alice"}
	case r < 98:
		return Deny{Epoch: near(), By: "bob"}
	default:
		return Switchover{By: "carol"}
	}
}

func tail(s []string, n int) string {
	out := ""
	for _, l := range s[max(0, len(s)-n):] {
		out += "  " + l + "\n"
	}
	return out
}
