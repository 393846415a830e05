package wizard

import (
	"context"
	"strings"
	"time"
)

// Role is what a user may do in their organisation. Every user works on
// the organisation's bootstraps; an admin also manages its users.
type Role string

// Roles.
const (
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// ParseRole checks a role typed by an admin.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAdmin, RoleMember:
		return r, nil
	}
	return "", Errorf(EINVALID, "role %q: use admin or member", s)
}

// UserAdmin is the Store's side of user administration. Every call takes
// the admin's organisation and never reaches another's users (ENOTFOUND).
// A change is made by actor (a user ID), who must still be an enabled
// admin of the organisation when it is made (EFORBIDDEN otherwise), and
// keeps at least one enabled admin in the organisation (ECONFLICT
// otherwise): both checked in the change's transaction, serialised per
// organisation, so two admins demoting each other on two replicas cannot
// both succeed.
type UserAdmin interface {
	// Users lists the organisation's users by name.
	Users(ctx context.Context, orgID string) ([]*User, error)
	// OrgUser is one user of the organisation.
	OrgUser(ctx context.Context, orgID, id string) (*User, error)
	SetUserRole(ctx context.Context, orgID, actor, id string, role Role) error
	// SetUserDisabled disables the user at at and deletes their sessions,
	// or re-enables them when at is zero.
	SetUserDisabled(ctx context.Context, orgID, actor, id string, at time.Time) error
	// DeleteUser removes the user and their sessions.
	DeleteUser(ctx context.Context, orgID, actor, id string) error
	// AddOrgUser creates u (a local user an admin adds) in the
	// organisation; a name any user already has is ECONFLICT (NameTaken).
	AddOrgUser(ctx context.Context, orgID, actor string, u *User) error
	// RecordLogin sets the user's last sign-in (never moved back).
	RecordLogin(ctx context.Context, id string, at time.Time) error
}

// NotAdmin is the refusal of a user administration by someone who is not
// (or no longer) an admin of the organisation.
func NotAdmin() *Error {
	return Errorf(EFORBIDDEN, "only an admin of your organisation manages its users")
}

// LastAdmin is the refusal of a change that would leave an organisation
// without an enabled admin.
func LastAdmin(name string) *Error {
	return Errorf(ECONFLICT, "%s is the organisation's last admin: make another user admin first", name)
}

// NameTaken is the refusal of a user name another user has: names are
// unique across organisations, as a local sign-in gives only the name.
func NameTaken(name string) *Error {
	return Errorf(ECONFLICT, "the user name %s is taken: choose another", name)
}

// MaxUserName bounds a local user's name.
const MaxUserName = 64

// CheckLocalName checks the name of a local user an admin creates: 1 to
// 64 letters, digits, '.', '-' or '_', starting with a letter or digit.
// A name with '@' is kept for single sign-on accounts (named by their
// email), so a local user cannot take a colleague's SSO name.
func CheckLocalName(name string) error {
	switch {
	case name == "":
		return Errorf(EINVALID, "name: type the new user's name")
	case len(name) > MaxUserName:
		return Errorf(EINVALID, "name: use at most %d characters", MaxUserName)
	case strings.Contains(name, "@"):
		return Errorf(EINVALID, "name: %q has '@', which is kept for single sign-on accounts (named by their email): use a name without it", name)
	}
	for i, r := range name {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || (i > 0 && (r == '.' || r == '-' || r == '_'))
		if !ok {
			return Errorf(EINVALID, "name: %q: use letters, digits, '.', '-' or '_', starting with a letter or digit", name)
		}
	}
	return nil
}

// UserChange is one change an admin asks for.
type UserChange string

// Changes.
const (
	ChangeRole    UserChange = "role"
	ChangeDisable UserChange = "disable"
	ChangeEnable  UserChange = "enable"
	ChangeRemove  UserChange = "remove"
)

// MayChange decides whether actor may make change (to role, for
// ChangeRole) to target; the last-admin rule is the Store's, which alone
// sees every replica's changes. An admin never removes, disables or
// demotes themself: another admin does, so an organisation cannot lock
// itself out by a slip.
func MayChange(actor, target *User, change UserChange, role Role) error {
	if actor.Role != RoleAdmin || actor.OrgID != target.OrgID {
		return NotAdmin()
	}
	self := actor.ID == target.ID
	switch change {
	case ChangeRole:
		if _, err := ParseRole(string(role)); err != nil {
			return err
		}
		if self && role != RoleAdmin {
			return Errorf(EFORBIDDEN, "you cannot demote yourself: another admin can")
		}
	case ChangeDisable, ChangeRemove:
		if self {
			return Errorf(EFORBIDDEN, "you cannot %s yourself: another admin can", change)
		}
	case ChangeEnable:
	default:
		return Errorf(EINVALID, "change %q: use role, disable, enable or remove", change)
	}
	return nil
}
