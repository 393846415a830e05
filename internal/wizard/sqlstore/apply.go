package sqlstore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/openova-io/openova/internal/wizard"
)

// The apply journal. A lease is the pair (holder, lease_expires), taken and
// renewed by one conditional UPDATE and judged by the database's clock
// (Dialect.NowNS), so replicas with skewed clocks agree on who holds it.

const runCols = `org_id, bootstrap_id, steps, status, requested_by, plan, holder, created`

func scanRun(r scanner) (*wizard.ApplyRun, error) {
	var x wizard.ApplyRun
	var steps string
	var c int64
	if err := r.Scan(&x.OrgID, &x.BootstrapID, &steps, &x.Status, &x.RequestedBy, &x.Plan, &x.Holder, &c); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(steps), &x.Steps); err != nil {
		return nil, fmt.Errorf("apply run %s: decode steps: %w", x.BootstrapID, err)
	}
	x.Created = ts(c)
	return &x, nil
}

// CreateApplyRun implements wizard.Store.
func (s *Store) CreateApplyRun(ctx context.Context, r *wizard.ApplyRun) error {
	if _, err := s.Bootstrap(ctx, r.OrgID, r.BootstrapID); err != nil {
		return err
	}
	steps, err := json.Marshal(r.Steps)
	if err != nil {
		return err
	}
	if r.Steps == nil {
		steps = []byte("[]")
	}
	_, err = s.exec(ctx, `INSERT INTO apply_runs (org_id, bootstrap_id, steps, status, requested_by, plan, holder, lease_expires, events, created)
		VALUES (?, ?, ?, ?, ?, ?, '', 0, 0, ?)`, r.OrgID, r.BootstrapID, string(steps), r.Status, r.RequestedBy, r.Plan, ns(r.Created))
	return err
}

// ApplyRun implements wizard.Store.
func (s *Store) ApplyRun(ctx context.Context, orgID, bootstrapID string) (*wizard.ApplyRun, error) {
	r, err := scanRun(s.row(ctx, `SELECT `+runCols+` FROM apply_runs WHERE org_id = ? AND bootstrap_id = ?`, orgID, bootstrapID))
	if err != nil {
		return nil, notFound(err, "apply of bootstrap "+bootstrapID)
	}
	return r, nil
}

// AcquireApplyLease implements wizard.Store.
func (s *Store) AcquireApplyLease(ctx context.Context, orgID, bootstrapID, holder string, ttl time.Duration) (bool, error) {
	if holder == "" {
		return false, fmt.Errorf("a lease needs a holder")
	}
	now := s.d.NowNS
	res, err := s.exec(ctx, `UPDATE apply_runs SET holder = ?, lease_expires = `+now+` + ?
		WHERE org_id = ? AND bootstrap_id = ? AND (holder = ? OR holder = '' OR lease_expires <= `+now+`)`,
		holder, ttl.Nanoseconds(), orgID, bootstrapID, holder)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, err
	}
	if n == 0 {
		if _, err := s.ApplyRun(ctx, orgID, bootstrapID); err != nil {
			return false, err
		}
	}
	return n == 1, nil
}

// ReleaseApplyLease implements wizard.Store.
func (s *Store) ReleaseApplyLease(ctx context.Context, orgID, bootstrapID, holder string) error {
	_, err := s.exec(ctx, `UPDATE apply_runs SET holder = '', lease_expires = 0 WHERE org_id = ? AND bootstrap_id = ? AND holder = ?`,
		orgID, bootstrapID, holder)
	return err
}

// AppendApplyStep implements wizard.Store. The read and the guarded write
// are one transaction; the write's condition re-checks the lease, so a
// holder whose lease expired meanwhile records nothing.
func (s *Store) AppendApplyStep(ctx context.Context, orgID, bootstrapID, holder string, st wizard.ApplyRecord, plan []byte) error {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var steps string
	err = tx.QueryRowContext(ctx, s.q(`SELECT steps FROM apply_runs WHERE org_id = ? AND bootstrap_id = ?`), orgID, bootstrapID).Scan(&steps)
	if err != nil {
		return notFound(err, "apply of bootstrap "+bootstrapID)
	}
	var all []wizard.ApplyRecord
	if err := json.Unmarshal([]byte(steps), &all); err != nil {
		return err
	}
	next, err := json.Marshal(append(all, st))
	if err != nil {
		return err
	}
	q := `UPDATE apply_runs SET steps = ? WHERE org_id = ? AND bootstrap_id = ? AND steps = ? AND holder = ? AND lease_expires > ` + s.d.NowNS
	args := []any{string(next), orgID, bootstrapID, steps, holder}
	if plan != nil {
		q = `UPDATE apply_runs SET steps = ?, plan = ? WHERE org_id = ? AND bootstrap_id = ? AND steps = ? AND holder = ? AND lease_expires > ` + s.d.NowNS
		args = []any{string(next), plan, orgID, bootstrapID, steps, holder}
	}
	res, err := tx.ExecContext(ctx, s.q(q), args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return wizard.Errorf(wizard.ECONFLICT, "the apply of bootstrap %s is no longer held by this replica: step %s not recorded", bootstrapID, st.Step)
	}
	return tx.Commit()
}

// SetApplyStatus implements wizard.Store.
func (s *Store) SetApplyStatus(ctx context.Context, orgID, bootstrapID, status, by string) error {
	res, err := s.exec(ctx, `UPDATE apply_runs SET status = ?, requested_by = ? WHERE org_id = ? AND bootstrap_id = ?`, status, by, orgID, bootstrapID)
	if err != nil {
		return err
	}
	return mustAffect(res, "apply of bootstrap "+bootstrapID)
}

// ResumableApplyRuns implements wizard.Store.
func (s *Store) ResumableApplyRuns(ctx context.Context) ([]*wizard.ApplyRun, error) {
	rows, err := s.DB.QueryContext(ctx, s.q(`SELECT `+runCols+` FROM apply_runs
		WHERE status IN (?, ?) AND (holder = '' OR lease_expires <= `+s.d.NowNS+`) ORDER BY created, bootstrap_id`), wizard.ApplyRunning, wizard.ApplyDestroying)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*wizard.ApplyRun
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AppendApplyEvents implements wizard.Store: the run's counter numbers the
// events in the transaction that inserts them.
func (s *Store) AppendApplyEvents(ctx context.Context, orgID, bootstrapID string, evs []*wizard.ApplyEvent, keepLogs int) error {
	if len(evs) == 0 {
		return nil
	}
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var last int64
	err = tx.QueryRowContext(ctx, s.q(`UPDATE apply_runs SET events = events + ? WHERE org_id = ? AND bootstrap_id = ? RETURNING events`),
		len(evs), orgID, bootstrapID).Scan(&last)
	if err != nil {
		return notFound(err, "apply of bootstrap "+bootstrapID)
	}
	ins, err := tx.PrepareContext(ctx, s.q(`INSERT INTO apply_events (org_id, bootstrap_id, id, kind, step, by_user, text, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`))
	if err != nil {
		return err
	}
	defer ins.Close()
	first := last - int64(len(evs)) + 1
	for i, e := range evs {
		if _, err := ins.ExecContext(ctx, orgID, bootstrapID, first+int64(i), e.Kind, e.Step, e.By, e.Text, ns(e.At)); err != nil {
			return err
		}
	}
	if keepLogs > 0 && last > int64(keepLogs) {
		// Bounded: log lines older than the newest keepLogs events go; a
		// range of the primary key, so the cost does not grow with the feed.
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM apply_events WHERE bootstrap_id = ? AND id <= ? AND kind = 'log' AND org_id = ?`),
			bootstrapID, last-int64(keepLogs), orgID); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	for i, e := range evs {
		e.ID = first + int64(i)
	}
	return nil
}

// ApplyEvents implements wizard.Store.
func (s *Store) ApplyEvents(ctx context.Context, orgID, bootstrapID string, after int64, limit int) ([]*wizard.ApplyEvent, error) {
	rows, err := s.DB.QueryContext(ctx, s.q(`SELECT id, kind, step, by_user, text, at FROM apply_events
		WHERE org_id = ? AND bootstrap_id = ? AND id > ? ORDER BY id LIMIT ?`), orgID, bootstrapID, after, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*wizard.ApplyEvent
	for rows.Next() {
		var e wizard.ApplyEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.Kind, &e.Step, &e.By, &e.Text, &at); err != nil {
			return nil, err
		}
		e.At = ts(at)
		out = append(out, &e)
	}
	return out, rows.Err()
}
