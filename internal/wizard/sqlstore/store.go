// Package sqlstore implements wizard.Store over database/sql, shared by
// the sqlite and postgres adapters: queries are written once with `?`
// placeholders and rebound for PostgreSQL. Each adapter owns its driver,
// connection settings and migrations.
package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/openova-io/openova/internal/wizard"
)

// Dialect is what differs between databases in the shared queries.
type Dialect struct {
	Name     string
	Numbered bool // $1, $2 (PostgreSQL) instead of ?
	// NowNS is the database clock in Unix nanoseconds, an SQL expression:
	// leases are judged by the one clock every replica shares.
	NowNS       string
	IsDuplicate func(error) bool
}

// Store is wizard.Store on a *sql.DB.
type Store struct {
	DB *sql.DB
	d  Dialect
}

var _ wizard.Store = (*Store)(nil)

// New wraps a migrated database.
func New(db *sql.DB, d Dialect) *Store { return &Store{DB: db, d: d} }

// Close closes the database.
func (s *Store) Close() error { return s.DB.Close() }

func (s *Store) q(query string) string {
	if !s.d.Numbered {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Store) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := s.DB.ExecContext(ctx, s.q(query), args...)
	if err != nil && s.d.IsDuplicate != nil && s.d.IsDuplicate(err) {
		return nil, wizard.Errorf(wizard.ECONFLICT, "already exists")
	}
	return res, err
}

func (s *Store) row(ctx context.Context, query string, args ...any) *sql.Row {
	return s.DB.QueryRowContext(ctx, s.q(query), args...)
}

func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return wizard.Errorf(wizard.ENOTFOUND, "%s not found", what)
	}
	return err
}

func ns(t time.Time) int64 { return t.UnixNano() }
func ts(n int64) time.Time { return time.Unix(0, n).UTC() }

// nsOpt and tsOpt store an optional time: 0 is the zero time.
func nsOpt(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func tsOpt(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return ts(n)
}

// CreateOrg implements wizard.Store.
func (s *Store) CreateOrg(ctx context.Context, o *wizard.Org) error {
	_, err := s.exec(ctx, `INSERT INTO orgs (id, name, created) VALUES (?, ?, ?)`, o.ID, o.Name, ns(o.Created))
	return err
}

// OrgByName implements wizard.Store.
func (s *Store) OrgByName(ctx context.Context, name string) (*wizard.Org, error) {
	var o wizard.Org
	var c int64
	err := s.row(ctx, `SELECT id, name, created FROM orgs WHERE name = ?`, name).Scan(&o.ID, &o.Name, &c)
	if err != nil {
		return nil, notFound(err, "organisation "+name)
	}
	o.Created = ts(c)
	return &o, nil
}

const userCols = `id, org_id, name, password_hash, issuer, subject, role, disabled_at, last_login, created`

func scanUser(r scanner, what string) (*wizard.User, error) {
	var u wizard.User
	var role string
	var c, d, l int64
	if err := r.Scan(&u.ID, &u.OrgID, &u.Name, &u.PasswordHash, &u.Issuer, &u.Subject, &role, &d, &l, &c); err != nil {
		return nil, notFound(err, what)
	}
	u.Role, u.Disabled, u.LastLogin, u.Created = wizard.Role(role), tsOpt(d), tsOpt(l), ts(c)
	return &u, nil
}

// CreateUser implements wizard.Store. A user without a role is a member.
func (s *Store) CreateUser(ctx context.Context, u *wizard.User) error {
	if u.Role == "" {
		u.Role = wizard.RoleMember
	}
	_, err := s.exec(ctx, `INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.OrgID, u.Name, u.PasswordHash, u.Issuer, u.Subject, string(u.Role), nsOpt(u.Disabled), nsOpt(u.LastLogin), ns(u.Created))
	return err
}

// UserByName implements wizard.Store.
func (s *Store) UserByName(ctx context.Context, name string) (*wizard.User, error) {
	return scanUser(s.row(ctx, `SELECT `+userCols+` FROM users WHERE name = ?`, name), "user")
}

// UserByID implements wizard.Store.
func (s *Store) UserByID(ctx context.Context, id string) (*wizard.User, error) {
	return scanUser(s.row(ctx, `SELECT `+userCols+` FROM users WHERE id = ?`, id), "user")
}

// UserBySubject implements wizard.Store.
func (s *Store) UserBySubject(ctx context.Context, issuer, subject string) (*wizard.User, error) {
	return scanUser(s.row(ctx, `SELECT `+userCols+` FROM users WHERE issuer = ? AND subject = ? AND subject <> ''`, issuer, subject), "user")
}

// CountUsers implements wizard.Store.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.row(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// CreateSession implements wizard.Store.
func (s *Store) CreateSession(ctx context.Context, x *wizard.Session) error {
	_, err := s.exec(ctx, `INSERT INTO sessions (token_hash, user_id, org_id, csrf, expires, id_token) VALUES (?, ?, ?, ?, ?, ?)`,
		x.TokenHash, x.UserID, x.OrgID, x.CSRF, ns(x.Expires), x.IDToken)
	return err
}

// Session implements wizard.Store.
func (s *Store) Session(ctx context.Context, tokenHash string, now time.Time) (*wizard.Session, error) {
	var x wizard.Session
	var e int64
	err := s.row(ctx, `SELECT s.token_hash, s.user_id, s.org_id, s.csrf, s.expires, s.id_token FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.expires > ? AND u.disabled_at = 0 AND u.org_id = s.org_id`,
		tokenHash, ns(now)).Scan(&x.TokenHash, &x.UserID, &x.OrgID, &x.CSRF, &e, &x.IDToken)
	if err != nil {
		return nil, notFound(err, "session")
	}
	x.Expires = ts(e)
	return &x, nil
}

// DeleteSession implements wizard.Store.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	_, err := s.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	return err
}

// CreateBootstrap implements wizard.Store.
func (s *Store) CreateBootstrap(ctx context.Context, b *wizard.Bootstrap) error {
	spec, done, err := encodeBootstrap(b)
	if err != nil {
		return err
	}
	_, err = s.exec(ctx, `INSERT INTO bootstraps (id, org_id, spec, done, status, created, updated) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		b.ID, b.OrgID, spec, done, string(b.Status), ns(b.Created), ns(b.Updated))
	return err
}

func encodeBootstrap(b *wizard.Bootstrap) (string, string, error) {
	spec, err := json.Marshal(b.Instance)
	if err != nil {
		return "", "", fmt.Errorf("encode spec: %w", err)
	}
	done, err := json.Marshal(b.Done)
	if err != nil {
		return "", "", err
	}
	return string(spec), string(done), nil
}

const bootstrapCols = `id, org_id, spec, done, status, created, updated`

type scanner interface{ Scan(...any) error }

func scanBootstrap(r scanner) (*wizard.Bootstrap, error) {
	var b wizard.Bootstrap
	var spec, done, status string
	var c, u int64
	if err := r.Scan(&b.ID, &b.OrgID, &spec, &done, &status, &c, &u); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(spec), &b.Instance); err != nil {
		return nil, fmt.Errorf("bootstrap %s: decode spec: %w", b.ID, err)
	}
	if err := json.Unmarshal([]byte(done), &b.Done); err != nil {
		return nil, fmt.Errorf("bootstrap %s: decode steps: %w", b.ID, err)
	}
	b.Status, b.Created, b.Updated = wizard.Status(status), ts(c), ts(u)
	return &b, nil
}

// Bootstrap implements wizard.Store.
func (s *Store) Bootstrap(ctx context.Context, orgID, id string) (*wizard.Bootstrap, error) {
	b, err := scanBootstrap(s.row(ctx, `SELECT `+bootstrapCols+` FROM bootstraps WHERE org_id = ? AND id = ?`, orgID, id))
	if err != nil {
		return nil, notFound(err, "bootstrap "+id)
	}
	return b, nil
}

// Bootstraps implements wizard.Store.
func (s *Store) Bootstraps(ctx context.Context, orgID string) ([]*wizard.Bootstrap, error) {
	rows, err := s.DB.QueryContext(ctx, s.q(`SELECT `+bootstrapCols+` FROM bootstraps WHERE org_id = ? ORDER BY created, id`), orgID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*wizard.Bootstrap
	for rows.Next() {
		b, err := scanBootstrap(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// UpdateBootstrap implements wizard.Store.
func (s *Store) UpdateBootstrap(ctx context.Context, b *wizard.Bootstrap) error {
	spec, done, err := encodeBootstrap(b)
	if err != nil {
		return err
	}
	res, err := s.exec(ctx, `UPDATE bootstraps SET spec = ?, done = ?, status = ?, updated = ? WHERE org_id = ? AND id = ?`,
		spec, done, string(b.Status), ns(b.Updated), b.OrgID, b.ID)
	if err != nil {
		return err
	}
	return mustAffect(res, "bootstrap "+b.ID)
}

func mustAffect(res sql.Result, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return wizard.Errorf(wizard.ENOTFOUND, "%s not found", what)
	}
	return nil
}

// DeleteBootstrap implements wizard.Store.
func (s *Store) DeleteBootstrap(ctx context.Context, orgID, id string) error {
	tx, err := s.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, table := range []string{"credentials", "apply_events", "apply_runs"} {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+table+` WHERE org_id = ? AND bootstrap_id = ?`), orgID, id); err != nil {
			return err
		}
	}
	res, err := tx.ExecContext(ctx, s.q(`DELETE FROM bootstraps WHERE org_id = ? AND id = ?`), orgID, id)
	if err != nil {
		return err
	}
	if err := mustAffect(res, "bootstrap "+id); err != nil {
		return err
	}
	return tx.Commit()
}

// PutCredential implements wizard.Store.
func (s *Store) PutCredential(ctx context.Context, orgID, bootstrapID, name string, sealed []byte) error {
	if _, err := s.Bootstrap(ctx, orgID, bootstrapID); err != nil {
		return err
	}
	_, err := s.exec(ctx, `INSERT INTO credentials (org_id, bootstrap_id, name, sealed) VALUES (?, ?, ?, ?)
		ON CONFLICT (bootstrap_id, name) DO UPDATE SET sealed = excluded.sealed`, orgID, bootstrapID, name, sealed)
	return err
}

// Credentials implements wizard.Store.
func (s *Store) Credentials(ctx context.Context, orgID, bootstrapID string) (map[string][]byte, error) {
	rows, err := s.DB.QueryContext(ctx, s.q(`SELECT name, sealed FROM credentials WHERE org_id = ? AND bootstrap_id = ? ORDER BY name`), orgID, bootstrapID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var n string
		var v []byte
		if err := rows.Scan(&n, &v); err != nil {
			return nil, err
		}
		out[n] = v
	}
	return out, rows.Err()
}

// WipeCredentials implements wizard.Store. The adapters make deletion
// overwrite the freed bytes (SQLite secure_delete; PostgreSQL VACUUM is
// the operator's, see docs/wizard.md).
func (s *Store) WipeCredentials(ctx context.Context, orgID, bootstrapID string) error {
	_, err := s.exec(ctx, `DELETE FROM credentials WHERE org_id = ? AND bootstrap_id = ?`, orgID, bootstrapID)
	return err
}

// AppendAudit implements wizard.Store.
func (s *Store) AppendAudit(ctx context.Context, e *wizard.AuditEvent) error {
	_, err := s.exec(ctx, `INSERT INTO audit (org_id, actor, action, target, at) VALUES (?, ?, ?, ?, ?)`,
		e.OrgID, e.Actor, e.Action, e.Target, ns(e.At))
	return err
}

// Audit implements wizard.Store.
func (s *Store) Audit(ctx context.Context, orgID string, before int64, limit int) ([]*wizard.AuditEvent, error) {
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, err := s.DB.QueryContext(ctx, s.q(`SELECT seq, org_id, actor, action, target, at FROM audit
		WHERE org_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`), orgID, before, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*wizard.AuditEvent
	for rows.Next() {
		var e wizard.AuditEvent
		var at int64
		if err := rows.Scan(&e.Seq, &e.OrgID, &e.Actor, &e.Action, &e.Target, &at); err != nil {
			return nil, err
		}
		e.At = ts(at)
		out = append(out, &e)
	}
	return out, rows.Err()
}
