// Package wire turns witness protocol answers (internal/lease) into
// failover state-machine replies, in one place for the controller and the
// simulation.
package wire

import (
	"errors"

	"github.com/openova-io/openova/internal/failover/fsm"
	"github.com/openova-io/openova/internal/lease"
)

// Reply maps the outcome of the request the machine sent as seq. Anything
// that is not a clear grant or a clear refusal (network errors, 5xx,
// rejected credentials, malformed replies) is Unavailable: the machine
// then retries and, holding, fences at its deadline.
func Reply(seq uint64, r lease.Reply, err error) fsm.Reply {
	out := fsm.Reply{Seq: seq, Outcome: fsm.Unavailable}
	var le *lease.Error
	switch {
	case err == nil && r.Lease != nil:
		out.Outcome, out.Lease = fsm.OK, View(*r.Lease)
	case errors.As(err, &le) && le.Lease != nil && le.Code == lease.CodeConflict:
		out.Outcome, out.Lease = fsm.Conflict, View(*le.Lease)
	case errors.As(err, &le) && le.Lease != nil && le.Code == lease.CodeExpired:
		out.Outcome, out.Lease = fsm.Expired, View(*le.Lease)
	}
	return out
}

// View maps the witness's view of a lease.
func View(v lease.LeaseView) fsm.Lease {
	return fsm.Lease{Holder: v.Holder, Epoch: v.Epoch, Held: v.Status == lease.StatusHeld, ExpiresIn: v.Remaining()}
}

// Refusal builds the error a lease.Client returns for a refused request,
// for in-memory witnesses that answer with the pure core.
func Refusal(op string, res lease.Result, view lease.LeaseView) error {
	return &lease.Error{Op: op, Code: lease.CodeOf(res.Outcome), Message: res.Reason, Lease: &view}
}
