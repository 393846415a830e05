package storetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/wizard"
)

// testUserAdmin: an organisation's users are listed and changed only
// through that organisation; the last enabled admin can be neither
// demoted, disabled nor removed (also when two admins demote each other at
// once); disabling or removing a user ends their sessions at once; the
// last sign-in only moves forward; everything survives a restart.
func testUserAdmin(t *testing.T, tg Target) {
	ctx, s := context.Background(), tg.Store
	acme, admin := seed(t, s, "acme")
	globex, _ := seed(t, s, "globex")
	member := &wizard.User{ID: "m1", OrgID: acme.ID, Name: "bob", Issuer: "https://idp", Subject: "sub-bob", Created: t0}
	if err := s.CreateUser(ctx, member); err != nil {
		t.Fatal(err)
	}
	list, err := s.Users(ctx, acme.ID)
	if err != nil || len(list) != 2 || list[0].Name != "acme-admin" || list[1].Name != "bob" ||
		list[0].Role != wizard.RoleAdmin || list[1].Role != wizard.RoleMember || !list[1].Disabled.IsZero() || !list[1].LastLogin.IsZero() {
		t.Fatalf("Users(acme) = %v, %v; want acme-admin (admin) and bob (member), by name", users(list), err)
	}

	// Another organisation reaches none of acme's users.
	for name, err := range map[string]error{
		"OrgUser":         func() error { _, err := s.OrgUser(ctx, globex.ID, member.ID); return err }(),
		"SetUserRole":     s.SetUserRole(ctx, globex.ID, "user-globex", member.ID, wizard.RoleAdmin),
		"SetUserDisabled": s.SetUserDisabled(ctx, globex.ID, "user-globex", member.ID, t0),
		"DeleteUser":      s.DeleteUser(ctx, globex.ID, "user-globex", admin.ID),
	} {
		if code(err) != wizard.ENOTFOUND {
			t.Errorf("globex %s on an acme user: %v, want not found", name, err)
		}
	}
	if err := s.DeleteUser(ctx, globex.ID, admin.ID, member.ID); code(err) != wizard.EFORBIDDEN {
		t.Errorf("acme's admin acting in globex: %v, want forbidden", err)
	}
	if u, err := s.OrgUser(ctx, acme.ID, member.ID); err != nil || u.Role != wizard.RoleMember || !u.Disabled.IsZero() {
		t.Fatalf("bob after globex's attempts: %+v, %v", u, err)
	}

	// A member administers nobody.
	if err := s.SetUserRole(ctx, acme.ID, member.ID, member.ID, wizard.RoleAdmin); code(err) != wizard.EFORBIDDEN {
		t.Fatalf("a member promoting themself: %v, want forbidden", err)
	}

	// The last admin stays (the store's rule; the self rule is MayChange's).
	for name, err := range map[string]error{
		"demote":  s.SetUserRole(ctx, acme.ID, admin.ID, admin.ID, wizard.RoleMember),
		"disable": s.SetUserDisabled(ctx, acme.ID, admin.ID, admin.ID, t0),
		"remove":  s.DeleteUser(ctx, acme.ID, admin.ID, admin.ID),
	} {
		if code(err) != wizard.ECONFLICT {
			t.Errorf("%s the last admin: %v, want conflict", name, err)
		}
	}
	if u, _ := s.OrgUser(ctx, acme.ID, admin.ID); u.Role != wizard.RoleAdmin || !u.Disabled.IsZero() {
		t.Fatalf("the last admin changed though refused: %+v", u)
	}

	// Sessions end when their user is disabled or removed.
	sess := func(hash, user string) {
		t.Helper()
		if err := s.CreateSession(ctx, &wizard.Session{TokenHash: hash, UserID: user, OrgID: acme.ID, CSRF: "c", Expires: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	sess("bob-1", member.ID)
	if err := s.SetUserDisabled(ctx, acme.ID, admin.ID, member.ID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, "bob-1", t0); code(err) != wizard.ENOTFOUND {
		t.Fatalf("a disabled user's session: %v, want not found", err)
	}
	sess("bob-2", member.ID) // however it came to be, a disabled user's session does not work
	if _, err := s.Session(ctx, "bob-2", t0); code(err) != wizard.ENOTFOUND {
		t.Fatalf("a session created for a disabled user: %v, want not found", err)
	}
	s = tg.Reopen(t)
	if u, _ := s.OrgUser(ctx, acme.ID, member.ID); !u.Disabled.Equal(t0.Add(time.Minute)) {
		t.Fatalf("disabled after a restart: %+v", u)
	}
	if err := s.SetUserDisabled(ctx, acme.ID, admin.ID, member.ID, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.OrgUser(ctx, acme.ID, member.ID); !u.Disabled.IsZero() {
		t.Fatalf("re-enabled: %+v", u)
	}

	// Two admins demoting each other at once: one of them stays admin.
	if err := s.SetUserRole(ctx, acme.ID, admin.ID, member.ID, wizard.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i, pair := range [][2]string{{admin.ID, member.ID}, {member.ID, admin.ID}} {
		wg.Add(1)
		go func() { defer wg.Done(); errs[i] = s.SetUserRole(ctx, acme.ID, pair[0], pair[1], wizard.RoleMember) }()
	}
	wg.Wait()
	refused := code(errs[0]) + " " + code(errs[1])
	if (errs[0] == nil) == (errs[1] == nil) || (refused != "nil forbidden" && refused != "forbidden nil") {
		t.Fatalf("two admins demoted each other at once: %v, %v; want one done, the other refused (no longer an admin)", errs[0], errs[1])
	}
	var boss string
	list, _ = s.Users(ctx, acme.ID)
	for _, u := range list {
		if u.Role == wizard.RoleAdmin {
			if boss != "" {
				t.Fatalf("admins after the race: %v", users(list))
			}
			boss = u.ID
		}
	}
	if boss == "" {
		t.Fatalf("no admin after the race: %v", users(list))
	}

	// Make bob the admin and remove the other: their sessions go too.
	if err := s.SetUserRole(ctx, acme.ID, boss, member.ID, wizard.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	sess("admin-1", admin.ID)
	if err := s.DeleteUser(ctx, acme.ID, member.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByID(ctx, admin.ID); code(err) != wizard.ENOTFOUND {
		t.Fatalf("removed user: %v", err)
	}
	if _, err := s.Session(ctx, "admin-1", t0); code(err) != wizard.ENOTFOUND {
		t.Fatalf("a removed user's session: %v", err)
	}

	// The last sign-in only moves forward (replicas' clocks differ).
	if err := s.RecordLogin(ctx, member.ID, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordLogin(ctx, member.ID, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if u, _ := s.UserByID(ctx, member.ID); !u.LastLogin.Equal(t0.Add(2 * time.Hour)) {
		t.Fatalf("last sign-in = %s, want %s", u.LastLogin, t0.Add(2*time.Hour))
	}
}

func users(list []*wizard.User) []string {
	var out []string
	for _, u := range list {
		out = append(out, u.Name+":"+string(u.Role))
	}
	return out
}

// testAddOrgUser: an enabled admin adds a user to their own organisation
// only; a name any user of any organisation has is refused as taken; the
// user survives a restart.
func testAddOrgUser(t *testing.T, tg Target) {
	ctx, s := context.Background(), tg.Store
	acme, admin := seed(t, s, "acme")
	globex, other := seed(t, s, "globex")
	carol := &wizard.User{ID: "c1", OrgID: acme.ID, Name: "carol", PasswordHash: "$2a$carol", Role: wizard.RoleMember, Created: t0}
	if err := s.AddOrgUser(ctx, acme.ID, admin.ID, carol); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		org, actor string
		u          wizard.User
		want       string
	}{
		"the same name":                   {acme.ID, admin.ID, wizard.User{ID: "c2", OrgID: acme.ID, Name: "carol", Role: wizard.RoleMember}, wizard.ECONFLICT},
		"another organisation's name":     {acme.ID, admin.ID, wizard.User{ID: "c3", OrgID: acme.ID, Name: other.Name, Role: wizard.RoleMember}, wizard.ECONFLICT},
		"by a member":                     {acme.ID, carol.ID, wizard.User{ID: "c4", OrgID: acme.ID, Name: "dave", Role: wizard.RoleMember}, wizard.EFORBIDDEN},
		"by another organisation's admin": {acme.ID, other.ID, wizard.User{ID: "c5", OrgID: acme.ID, Name: "eve", Role: wizard.RoleAdmin}, wizard.EFORBIDDEN},
		"into an unknown organisation":    {"nosuch", admin.ID, wizard.User{ID: "c6", OrgID: "nosuch", Name: "frank", Role: wizard.RoleMember}, wizard.ENOTFOUND},
	} {
		if err := s.AddOrgUser(ctx, tc.org, tc.actor, &tc.u); code(err) != tc.want {
			t.Errorf("add %s: %v (code %s), want %s", name, err, code(err), tc.want)
		}
	}
	if err := s.SetUserDisabled(ctx, acme.ID, admin.ID, carol.ID, t0); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserRole(ctx, acme.ID, admin.ID, carol.ID, wizard.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := s.AddOrgUser(ctx, acme.ID, carol.ID, &wizard.User{ID: "c7", OrgID: acme.ID, Name: "gina", Role: wizard.RoleMember}); code(err) != wizard.EFORBIDDEN {
		t.Errorf("add by a disabled admin: %v, want forbidden", err)
	}
	s = tg.Reopen(t)
	list, err := s.Users(ctx, acme.ID)
	if err != nil || len(list) != 2 || list[1].Name != "carol" || list[1].PasswordHash != "$2a$carol" {
		t.Fatalf("acme's users after a restart = %v, %v; want acme-admin and carol", users(list), err)
	}
	if list, _ := s.Users(ctx, globex.ID); len(list) != 1 {
		t.Fatalf("globex's users = %v; want its admin only", users(list))
	}
}
