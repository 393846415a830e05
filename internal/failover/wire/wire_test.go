package wire

import (
	"errors"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/failover/fsm"
	"github.com/openova-io/openova/internal/lease"
)

func TestReply(t *testing.T) {
	held := lease.LeaseView{Holder: "a", Epoch: 4, Status: lease.StatusHeld, RemainingMs: 1500}
	over := lease.LeaseView{Holder: "a", Epoch: 4, Status: lease.StatusExpired}
	for _, tc := range []struct {
		name string
		r    lease.Reply
		err  error
		want fsm.Reply
	}{
		{"grant", lease.Reply{Outcome: lease.Granted, Lease: &held}, nil,
			fsm.Reply{Seq: 7, Outcome: fsm.OK, Lease: fsm.Lease{Holder: "a", Epoch: 4, Held: true, ExpiresIn: 1500 * time.Millisecond}}},
		{"conflict", lease.Reply{}, &lease.Error{Code: lease.CodeConflict, Lease: &held}, fsm.Reply{Seq: 7, Outcome: fsm.Conflict,
			Lease: fsm.Lease{Holder: "a", Epoch: 4, Held: true, ExpiresIn: 1500 * time.Millisecond}}},
		{"expired", lease.Reply{}, &lease.Error{Code: lease.CodeExpired, Lease: &over}, fsm.Reply{Seq: 7, Outcome: fsm.Expired,
			Lease: fsm.Lease{Holder: "a", Epoch: 4}}},
		{"network", lease.Reply{}, &lease.Error{Code: lease.CodeUnavailable}, fsm.Reply{Seq: 7, Outcome: fsm.Unavailable}},
		{"credential refused", lease.Reply{}, &lease.Error{Code: lease.CodeUnauthorized}, fsm.Reply{Seq: 7, Outcome: fsm.Unavailable}},
		{"conflict without a lease is not trusted", lease.Reply{}, &lease.Error{Code: lease.CodeConflict}, fsm.Reply{Seq: 7, Outcome: fsm.Unavailable}},
		{"plain error", lease.Reply{}, errors.New("boom"), fsm.Reply{Seq: 7, Outcome: fsm.Unavailable}},
	} {
		if got := Reply(7, tc.r, tc.err); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
