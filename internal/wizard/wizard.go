// Package wizard is the Catalyst bootstrap wizard's domain: organisations,
// users, sessions, bootstraps (one customer's instance spec being built step
// by step), sealed credentials and the audit trail, behind one Store
// interface implemented by sqlite/ (the default) and postgres/ (hosted,
// several replicas). Adapters: http/ (UI and JSON API), secrets/ (AES-GCM).
package wizard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/openova-io/openova/internal/instance"
)

// Error codes, mapped to HTTP status in exactly one place (http/errors.go).
const (
	ENOTFOUND     = "not_found"
	EINVALID      = "invalid"
	ECONFLICT     = "conflict"
	EUNAUTHORIZED = "unauthorized"
	EFORBIDDEN    = "forbidden"
	ETOOMANY      = "too_many_requests"
	EINTERNAL     = "internal"
)

// Error is a domain error with a code and a message safe to show a user.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns a domain error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of a domain error, EINTERNAL for any other.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// Org is a customer organisation; every bootstrap belongs to exactly one,
// and a user sees only their own organisation's bootstraps.
type Org struct {
	ID      string
	Name    string
	Created time.Time
}

// User signs in locally (PasswordHash, for air-gapped use) or by OIDC
// (Issuer + Subject).
type User struct {
	ID           string
	OrgID        string
	Name         string
	PasswordHash string // bcrypt; empty for SSO-only users
	Issuer       string
	Subject      string
	Role         Role
	// Disabled is when an admin disabled the user (zero: enabled). A
	// disabled user cannot sign in and their sessions end at once.
	Disabled  time.Time
	LastLogin time.Time // zero: never signed in
	Created   time.Time
}

// Session is a signed-in browser. Only the SHA-256 of its cookie token is
// stored, so a database dump cannot be replayed as a login.
type Session struct {
	TokenHash string
	UserID    string
	OrgID     string
	CSRF      string // sent back in X-CSRF-Token on every state change
	Expires   time.Time
	// IDToken is the single sign-on ID token that started the session,
	// sealed (secrets.Sealer) to the session: sign-out names the session
	// to the identity provider with it. Nil for a local sign-in.
	IDToken []byte
}

// Status of a bootstrap.
type Status string

// Bootstrap statuses.
const (
	StatusDraft     Status = "draft"
	StatusCompleted Status = "completed" // credentials wiped
)

// Bootstrap is one instance spec being built through the wizard.
type Bootstrap struct {
	ID    string
	OrgID string
	// Instance is the instance spec so far, as typed (not defaulted): what is
	// exported as instance.yaml.
	Instance instance.Instance
	// Done are the steps saved without errors, by name.
	Done    []string
	Status  Status
	Created time.Time
	Updated time.Time
}

// AuditEvent records who did what.
type AuditEvent struct {
	Seq    int64 // increasing, the cursor of pagination
	OrgID  string
	Actor  string // user name
	Action string // e.g. bootstrap.create, step.save, credentials.set, export
	Target string // bootstrap ID, or a user name for logins
	At     time.Time
}

// Store persists the wizard's state. Every bootstrap and credential call
// takes the caller's organisation and never reaches another's rows: a
// bootstrap of another organisation is ENOTFOUND, not EFORBIDDEN, so its
// existence does not leak.
type Store interface {
	CreateOrg(ctx context.Context, o *Org) error
	OrgByName(ctx context.Context, name string) (*Org, error)

	CreateUser(ctx context.Context, u *User) error
	UserByName(ctx context.Context, name string) (*User, error)
	UserByID(ctx context.Context, id string) (*User, error)
	UserBySubject(ctx context.Context, issuer, subject string) (*User, error)
	CountUsers(ctx context.Context) (int, error)
	UserAdmin

	CreateSession(ctx context.Context, s *Session) error
	// Session returns an unexpired session by token hash, of a user who
	// exists and is not disabled.
	Session(ctx context.Context, tokenHash string, now time.Time) (*Session, error)
	DeleteSession(ctx context.Context, tokenHash string) error

	CreateBootstrap(ctx context.Context, b *Bootstrap) error
	Bootstrap(ctx context.Context, orgID, id string) (*Bootstrap, error)
	Bootstraps(ctx context.Context, orgID string) ([]*Bootstrap, error)
	UpdateBootstrap(ctx context.Context, b *Bootstrap) error
	// DeleteBootstrap removes a bootstrap and wipes its credentials.
	DeleteBootstrap(ctx context.Context, orgID, id string) error

	// PutCredential stores a sealed (encrypted) credential; the store never
	// sees plaintext.
	PutCredential(ctx context.Context, orgID, bootstrapID, name string, sealed []byte) error
	Credentials(ctx context.Context, orgID, bootstrapID string) (map[string][]byte, error)
	// WipeCredentials deletes a bootstrap's credentials so that no byte of
	// them stays in the database file.
	WipeCredentials(ctx context.Context, orgID, bootstrapID string) error

	AppendAudit(ctx context.Context, e *AuditEvent) error
	// Audit returns up to limit events of the organisation, newest first,
	// older than the event numbered before (0: from the newest).
	Audit(ctx context.Context, orgID string, before int64, limit int) ([]*AuditEvent, error)

	ApplyStore
	LoginThrottle

	Close() error
}
