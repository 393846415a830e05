package wizard_test

import (
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/wizard"
)

func TestMayChange(t *testing.T) {
	admin := &wizard.User{ID: "a", OrgID: "acme", Role: wizard.RoleAdmin}
	member := &wizard.User{ID: "m", OrgID: "acme", Role: wizard.RoleMember}
	other := &wizard.User{ID: "g", OrgID: "globex", Role: wizard.RoleMember}
	for _, tc := range []struct {
		name          string
		actor, target *wizard.User
		change        wizard.UserChange
		role          wizard.Role
		want          string // error code, "" for allowed
	}{
		{"admin promotes a member", admin, member, wizard.ChangeRole, wizard.RoleAdmin, ""},
		{"admin disables a member", admin, member, wizard.ChangeDisable, "", ""},
		{"admin re-enables a member", admin, member, wizard.ChangeEnable, "", ""},
		{"admin removes a member", admin, member, wizard.ChangeRemove, "", ""},
		{"admin keeps their own role", admin, admin, wizard.ChangeRole, wizard.RoleAdmin, ""},
		{"admin demotes themself", admin, admin, wizard.ChangeRole, wizard.RoleMember, wizard.EFORBIDDEN},
		{"admin disables themself", admin, admin, wizard.ChangeDisable, "", wizard.EFORBIDDEN},
		{"admin removes themself", admin, admin, wizard.ChangeRemove, "", wizard.EFORBIDDEN},
		{"member promotes themself", member, member, wizard.ChangeRole, wizard.RoleAdmin, wizard.EFORBIDDEN},
		{"member disables the admin", member, admin, wizard.ChangeDisable, "", wizard.EFORBIDDEN},
		{"admin of another organisation", admin, other, wizard.ChangeRemove, "", wizard.EFORBIDDEN},
		{"unknown role", admin, member, wizard.ChangeRole, "owner", wizard.EINVALID},
		{"unknown change", admin, member, "rename", "", wizard.EINVALID},
	} {
		err := wizard.MayChange(tc.actor, tc.target, tc.change, tc.role)
		got := ""
		if err != nil {
			got = wizard.ErrorCode(err)
		}
		if got != tc.want {
			t.Errorf("%s: %v (code %q), want %q", tc.name, err, got, tc.want)
		}
	}
}

func TestCheckLocalName(t *testing.T) {
	for name, want := range map[string]string{
		"bob": "", "Bob.Smith-2_x": "", "7of9": "", strings.Repeat("a", wizard.MaxUserName): "",
		"": "type the new user's name", strings.Repeat("a", wizard.MaxUserName+1): "at most 64",
		"bob@acme.example": "kept for single sign-on", "bob smith": "use letters", ".bob": "starting with a letter",
		"bob/../x": "use letters", "bøb": "use letters",
	} {
		err := wizard.CheckLocalName(name)
		switch {
		case want == "" && err != nil:
			t.Errorf("%q refused: %v", name, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), "name: ")):
			t.Errorf("%q: %v, want an error on name saying %q", name, err, want)
		}
	}
}
