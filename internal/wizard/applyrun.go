package wizard

import (
	"context"
	"time"
)

// ApplyRun is the durable journal of one bootstrap's managed apply, shared
// by every replica: the completed steps, the run's status and the saved
// plan, so that when the replica running it dies another resumes it. Only
// the replica holding the run's lease (Holder, until an expiry judged by
// the database's clock, never a replica's) may record a step.
type ApplyRun struct {
	OrgID       string
	BootstrapID string
	Steps       []ApplyRecord
	// Status is what a replica looking for work reads: ApplyRunning and
	// ApplyDestroying are resumed by whoever takes the lease; the others
	// wait for a person.
	Status string
	// RequestedBy is who asked for what Status says (the destroy's
	// requester is journalled with the destroy step, also when resumed).
	RequestedBy string
	// Plan is the saved plan, encrypted by OpenTofu's plan encryption with
	// the bootstrap's passphrase: readable by no one without it.
	Plan    []byte
	Holder  string
	Created time.Time
}

// ApplyRecord is one completed step of an apply (init, plan, approve, apply,
// destroy); By is who approved.
type ApplyRecord struct {
	Step string    `json:"step"`
	By   string    `json:"by,omitempty"`
	At   time.Time `json:"at"`
}

// Statuses of runs with commands left to do.
const (
	ApplyRunning    = "running"    // init, plan or apply
	ApplyDestroying = "destroying" // destroy
)

// ApplyEvent is one entry of an apply's feed (steps, status changes, log
// lines). IDs increase by one per run, so a browser reconnecting to any
// replica with Last-Event-ID gets exactly what it missed.
type ApplyEvent struct {
	ID   int64
	Kind string
	Step string
	By   string
	Text string
	At   time.Time
}

// ApplyStore is the part of Store that journals managed applies.
type ApplyStore interface {
	// CreateApplyRun adds the run's row; ECONFLICT if it exists.
	CreateApplyRun(ctx context.Context, r *ApplyRun) error
	ApplyRun(ctx context.Context, orgID, bootstrapID string) (*ApplyRun, error)
	// AcquireApplyLease takes the run for holder until the database's
	// clock passes now+ttl, or renews holder's lease. It reports false,
	// changing nothing, while another holder's lease lasts.
	AcquireApplyLease(ctx context.Context, orgID, bootstrapID, holder string, ttl time.Duration) (bool, error)
	// ReleaseApplyLease frees holder's lease (a no-op if it is not held).
	ReleaseApplyLease(ctx context.Context, orgID, bootstrapID, holder string) error
	// AppendApplyStep records a completed step, with the saved plan after
	// a plan (nil keeps the held one), only while holder's lease lasts:
	// otherwise ECONFLICT, and the step is not recorded.
	AppendApplyStep(ctx context.Context, orgID, bootstrapID, holder string, s ApplyRecord, plan []byte) error
	// SetApplyStatus records the run's status and who asked for it.
	SetApplyStatus(ctx context.Context, orgID, bootstrapID, status, by string) error
	// ResumableApplyRuns are the runs of every organisation whose status
	// is ApplyRunning or ApplyDestroying and whose lease is free or
	// expired.
	ResumableApplyRuns(ctx context.Context) ([]*ApplyRun, error)
	// AppendApplyEvents adds events to the run's feed, in one transaction,
	// and sets their IDs. Log lines older than the run's newest keepLogs
	// events are dropped (at most keepLogs are kept); steps and status
	// changes always stay.
	AppendApplyEvents(ctx context.Context, orgID, bootstrapID string, evs []*ApplyEvent, keepLogs int) error
	// ApplyEvents returns up to limit events after the ID after, oldest first.
	ApplyEvents(ctx context.Context, orgID, bootstrapID string, after int64, limit int) ([]*ApplyEvent, error)
}
