// Package postgres is the wizard's store for the hosted, highly available
// deployment: several wizard replicas share one PostgreSQL (CloudNativePG
// in production) through pgx.
package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver

	"github.com/openova-io/openova/internal/wizard/sqlstore"
)

// Dialect is PostgreSQL's.
var Dialect = sqlstore.Dialect{
	Name:     "postgres",
	Numbered: true,
	NowNS:    `(extract(epoch from clock_timestamp()) * 1000000000)::bigint`,
	IsDuplicate: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23505"
	},
}

// migrations are append-only. Migration 5 gives users a role: those from
// before it could do everything, so they are admins. Migration 6 keeps a
// single sign-on session's sealed ID token (NULL: a local sign-in, or a
// session from before it, whose sign-out stays local).
var migrations = []string{`
CREATE TABLE orgs (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created BIGINT NOT NULL);
CREATE TABLE users (
	id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id), name TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL, issuer TEXT NOT NULL, subject TEXT NOT NULL, created BIGINT NOT NULL);
CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	org_id TEXT NOT NULL, csrf TEXT NOT NULL, expires BIGINT NOT NULL);
CREATE TABLE bootstraps (
	id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id), spec TEXT NOT NULL, done TEXT NOT NULL,
	status TEXT NOT NULL, created BIGINT NOT NULL, updated BIGINT NOT NULL);
CREATE INDEX bootstraps_org ON bootstraps(org_id);
CREATE TABLE credentials (
	org_id TEXT NOT NULL, bootstrap_id TEXT NOT NULL REFERENCES bootstraps(id), name TEXT NOT NULL,
	sealed BYTEA NOT NULL, PRIMARY KEY (bootstrap_id, name));
CREATE TABLE audit (
	seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, org_id TEXT NOT NULL, actor TEXT NOT NULL,
	action TEXT NOT NULL, target TEXT NOT NULL, at BIGINT NOT NULL);
CREATE INDEX audit_org ON audit(org_id, seq);
`, `
CREATE TABLE apply_runs (
	org_id TEXT NOT NULL, bootstrap_id TEXT NOT NULL REFERENCES bootstraps(id), steps TEXT NOT NULL,
	status TEXT NOT NULL, plan BYTEA, holder TEXT NOT NULL, lease_expires BIGINT NOT NULL,
	events BIGINT NOT NULL, created BIGINT NOT NULL, PRIMARY KEY (bootstrap_id));
CREATE INDEX apply_runs_status ON apply_runs(status);
CREATE TABLE apply_events (
	org_id TEXT NOT NULL, bootstrap_id TEXT NOT NULL REFERENCES bootstraps(id), id BIGINT NOT NULL,
	kind TEXT NOT NULL, step TEXT NOT NULL, by_user TEXT NOT NULL, text TEXT NOT NULL, at BIGINT NOT NULL,
	PRIMARY KEY (bootstrap_id, id));
`, `
ALTER TABLE apply_runs ADD COLUMN requested_by TEXT NOT NULL DEFAULT '';
`, `
CREATE TABLE login_failures (throttle_key TEXT PRIMARY KEY, failures BIGINT NOT NULL, last_at BIGINT NOT NULL);
CREATE INDEX login_failures_last ON login_failures(last_at);
`, `
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE users ADD COLUMN disabled_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_login BIGINT NOT NULL DEFAULT 0;
CREATE INDEX users_org ON users(org_id);
`, `
ALTER TABLE sessions ADD COLUMN id_token BYTEA;
`}

// migrationLock serialises replicas migrating at once.
const migrationLock = 0x0e0a_b007

// Open connects with a pgx connection string (e.g.
// postgres://user@host:5432/db?sslmode=verify-full) and migrates.
func Open(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to postgres: %w", err)
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		db.Close()
		return nil, fmt.Errorf("lock migrations: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if err := sqlstore.Migrate(ctx, db, Dialect, migrations); err != nil {
		db.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return sqlstore.New(db, Dialect), nil
}
