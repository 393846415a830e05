package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/openova-io/openova/internal/wizard"
)

// LoginFailures implements wizard.LoginThrottle.
func (s *Store) LoginFailures(ctx context.Context, key string) (wizard.LoginCounter, error) {
	var c wizard.LoginCounter
	var last int64
	err := s.row(ctx, `SELECT failures, last_at FROM login_failures WHERE throttle_key = ?`, key).Scan(&c.Failures, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return wizard.LoginCounter{}, nil
	}
	if err != nil {
		return c, err
	}
	c.Last = ts(last)
	return c, nil
}

// recordFailure is one statement, so replicas counting the same key at once
// each add one. last_at never moves back, whichever replica's clock lags.
const recordFailure = `INSERT INTO login_failures (throttle_key, failures, last_at) VALUES (?, 1, ?)
ON CONFLICT (throttle_key) DO UPDATE SET
	failures = CASE WHEN login_failures.last_at <= ? THEN 1 ELSE login_failures.failures + 1 END,
	last_at = CASE WHEN excluded.last_at > login_failures.last_at THEN excluded.last_at ELSE login_failures.last_at END
RETURNING failures, last_at`

// RecordLoginFailure implements wizard.LoginThrottle.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, at, restartAt time.Time) (wizard.LoginCounter, error) {
	var c wizard.LoginCounter
	var last int64
	if err := s.row(ctx, recordFailure, key, ns(at), ns(restartAt)).Scan(&c.Failures, &last); err != nil {
		return c, err
	}
	c.Last = ts(last)
	return c, nil
}

// ResetLoginFailures implements wizard.LoginThrottle.
func (s *Store) ResetLoginFailures(ctx context.Context, key string) error {
	_, err := s.exec(ctx, `DELETE FROM login_failures WHERE throttle_key = ?`, key)
	return err
}

// RefundLoginFailure implements wizard.LoginThrottle.
func (s *Store) RefundLoginFailure(ctx context.Context, key string) error {
	_, err := s.exec(ctx, `UPDATE login_failures SET failures = failures - 1 WHERE throttle_key = ? AND failures > 0`, key)
	return err
}

// PruneLoginFailures implements wizard.LoginThrottle.
func (s *Store) PruneLoginFailures(ctx context.Context, staleAt time.Time) (int64, error) {
	res, err := s.exec(ctx, `DELETE FROM login_failures WHERE last_at <= ?`, ns(staleAt))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
