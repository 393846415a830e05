// Package sqlite is the wizard's default store: one SQLite file in the data
// directory, through the pure-Go modernc.org/sqlite driver (no C compiler,
// nothing to install). secure_delete is on so that wiped credentials leave
// no bytes behind in the file.
package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/openova-io/openova/internal/wizard/sqlstore"
)

// Dialect is SQLite's.
var Dialect = sqlstore.Dialect{
	Name:        "sqlite",
	NowNS:       `CAST((julianday('now') - 2440587.5) * 86400000000000.0 AS INTEGER)`,
	IsDuplicate: func(err error) bool { return strings.Contains(err.Error(), "UNIQUE constraint failed") },
}

// migrations are append-only. Migration 5 gives users a role: those from
// before it could do everything, so they are admins. Migration 6 keeps a
// single sign-on session's sealed ID token (NULL: a local sign-in, or a
// session from before it, whose sign-out stays local).
var migrations = []string{`
CREATE TABLE orgs (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created INTEGER NOT NULL);
CREATE TABLE users (
	id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id), name TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL, issuer TEXT NOT NULL, subject TEXT NOT NULL, created INTEGER NOT NULL);
CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
	org_id TEXT NOT NULL, csrf TEXT NOT NULL, expires INTEGER NOT NULL);
CREATE TABLE bootstraps (
	id TEXT PRIMARY KEY, org_id TEXT NOT NULL REFERENCES orgs(id), spec TEXT NOT NULL, done TEXT NOT NULL,
	status TEXT NOT NULL, created INTEGER NOT NULL, updated INTEGER NOT NULL);
CREATE INDEX bootstraps_org ON bootstraps(org_id);
CREATE TABLE credentials (
	org_id TEXT NOT NULL, bootstrap_id TEXT NOT NULL REFERENCES bootstraps(id), name TEXT NOT NULL,
	sealed BLOB NOT NULL, PRIMARY KEY (bootstrap_id, name));
CREATE TABLE audit (
	seq INTEGER PRIMARY KEY AUTOINCREMENT, org_id TEXT NOT NULL, actor TEXT NOT NULL,
	action TEXT NOT NULL, target TEXT NOT NULL, at INTEGER NOT NULL);
CREATE INDEX audit_org ON audit(org_id, seq);
`, `
CREATE TABLE apply_runs (
	org_id TEXT NOT NULL, bootstrap_id TEXT NOT NULL REFERENCES bootstraps(id), steps TEXT NOT NULL,
	status TEXT NOT NULL, plan BLOB, holder TEXT NOT NULL, lease_expires INTEGER NOT NULL,
	events INTEGER NOT NULL, created INTEGER NOT NULL, PRIMARY KEY (bootstrap_id));
CREATE INDEX apply_runs_status ON apply_runs(status);
CREATE TABLE apply_events (
	org_id TEXT NOT NULL, bootstrap_id TEXT NOT NULL REFERENCES bootstraps(id), id INTEGER NOT NULL,
	kind TEXT NOT NULL, step TEXT NOT NULL, by_user TEXT NOT NULL, text TEXT NOT NULL, at INTEGER NOT NULL,
	PRIMARY KEY (bootstrap_id, id));
`, `
ALTER TABLE apply_runs ADD COLUMN requested_by TEXT NOT NULL DEFAULT '';
`, `
CREATE TABLE login_failures (throttle_key TEXT PRIMARY KEY, failures INTEGER NOT NULL, last_at INTEGER NOT NULL);
CREATE INDEX login_failures_last ON login_failures(last_at);
`, `
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'admin';
ALTER TABLE users ADD COLUMN disabled_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN last_login INTEGER NOT NULL DEFAULT 0;
CREATE INDEX users_org ON users(org_id);
`, `
ALTER TABLE sessions ADD COLUMN id_token BLOB;
`}

// Open opens (creating if needed) and migrates the database file.
func Open(ctx context.Context, path string) (*sqlstore.Store, error) {
	q := url.Values{}
	for _, p := range []string{"foreign_keys(1)", "secure_delete(1)", "busy_timeout(5000)", "journal_mode(DELETE)", "synchronous(FULL)"} {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	// One writer at a time is SQLite's model; one connection also keeps the
	// pragmas above on every statement.
	db.SetMaxOpenConns(1)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := sqlstore.Migrate(ctx, db, Dialect, migrations); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return sqlstore.New(db, Dialect), nil
}
