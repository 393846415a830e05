package wizard

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"io"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// MinPassword is the shortest local password accepted.
const MinPassword = 12

// HashPassword hashes a local password with bcrypt.
func HashPassword(pw string) (string, error) {
	if len(pw) < MinPassword {
		return "", Errorf(EINVALID, "password must be at least %d characters", MinPassword)
	}
	if len(pw) > 72 {
		return "", Errorf(EINVALID, "password must be at most 72 bytes (bcrypt's limit)")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	return string(h), err
}

// RandomToken returns n random bytes, URL-safe base64.
func RandomToken(r io.Reader, n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// NewID returns a random 16-hex-digit identifier.
func NewID(r io.Reader) (string, error) {
	b := make([]byte, 8)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// AddLocalUser creates a local user in an organisation (created when
// missing) with the default role: admin for the first user of a new
// organisation, member otherwise. An empty password is generated and
// returned, to be shown once.
func AddLocalUser(ctx context.Context, s Store, orgName, name, password string, now time.Time) (string, error) {
	return AddLocalUserAs(ctx, s, orgName, name, password, "", now)
}

// AddLocalUserAs is AddLocalUser with a role ("" for the default).
func AddLocalUserAs(ctx context.Context, s Store, orgName, name, password string, role Role, now time.Time) (string, error) {
	if role != "" {
		if _, err := ParseRole(string(role)); err != nil {
			return "", err
		}
	}
	if orgName == "" || name == "" {
		return "", Errorf(EINVALID, "an organisation and a user name are required")
	}
	if password == "" {
		var err error
		if password, err = RandomToken(rand.Reader, 18); err != nil {
			return "", err
		}
	}
	hash, err := HashPassword(password)
	if err != nil {
		return "", err
	}
	org, created, err := OrgFor(ctx, s, orgName, rand.Reader, now)
	if err != nil {
		return "", err
	}
	if role == "" {
		role = DefaultRole(created)
	}
	id, err := NewID(rand.Reader)
	if err != nil {
		return "", err
	}
	if err := s.CreateUser(ctx, &User{ID: id, OrgID: org.ID, Name: name, PasswordHash: hash, Role: role, Created: now}); err != nil {
		if ErrorCode(err) == ECONFLICT {
			return "", Errorf(ECONFLICT, "user %s already exists", name)
		}
		return "", err
	}
	return password, nil
}

// OrgFor returns the organisation named name, creating it when missing
// (created is then true).
func OrgFor(ctx context.Context, s Store, name string, random io.Reader, now time.Time) (*Org, bool, error) {
	org, err := s.OrgByName(ctx, name)
	if ErrorCode(err) != ENOTFOUND {
		return org, false, err
	}
	id, err := NewID(random)
	if err != nil {
		return nil, false, err
	}
	org = &Org{ID: id, Name: name, Created: now}
	if err := s.CreateOrg(ctx, org); err != nil {
		if ErrorCode(err) == ECONFLICT { // another replica created it first
			org, err = s.OrgByName(ctx, name)
			return org, false, err
		}
		return nil, false, err
	}
	return org, true, nil
}

// DefaultRole is the role of a user joining an organisation: the first
// user of a new organisation administers it; later ones are members
// until an admin promotes them.
func DefaultRole(newOrg bool) Role {
	if newOrg {
		return RoleAdmin
	}
	return RoleMember
}
