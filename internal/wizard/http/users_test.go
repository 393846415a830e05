package http_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/openova-io/openova/internal/wizard"
)

// onBothStores runs fn on a wizard over SQLite and on one over a real
// PostgreSQL, each with user admin (the first of organisation acme, so
// its admin).
func onBothStores(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newHarness(t)) })
	t.Run("postgres", func(t *testing.T) {
		dsn, sealer, now := hosted(t)
		h := replica(t, dsn, sealer, "", "replica-a", now)
		if _, err := wizard.AddLocalUser(context.Background(), h.store, "acme", "admin", adminPassword, now.get()); err != nil {
			t.Fatal(err)
		}
		fn(t, h)
	})
}

type userView struct {
	ID, Name, SignIn, Issuer, Role, LastSignIn, Created string
	Disabled                                            bool
}

func (h *harness) addUser(org, name string) string {
	h.t.Helper()
	pw, err := wizard.AddLocalUser(context.Background(), h.store, org, name, "", h.now.get())
	if err != nil {
		h.t.Fatal(err)
	}
	return pw
}

func usersOf(t *testing.T, c *client) map[string]userView {
	t.Helper()
	code, data := c.do("GET", "/api/v1/users", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /api/v1/users = %d %s", code, data)
	}
	out := map[string]userView{}
	for _, u := range decode[[]userView](t, data) {
		out[u.Name] = u
	}
	return out
}

// signedIn reports whether c's session still works.
func (c *client) signedIn() bool {
	code, _ := c.do("GET", "/api/v1/session", nil)
	return code == http.StatusOK
}

// form posts a page's form (the CSRF token in a field, as the page does).
func (c *client) form(path string, v url.Values) (int, string) {
	c.h.t.Helper()
	res, err := c.http.PostForm(c.h.srv.URL+path, v)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestUserAdministration: an admin lists the organisation's local and SSO
// users with role, last sign-in and creation; disables a user, whose
// session stops at once and who cannot sign in (told so only with the
// right password), and re-enables them; promotes a member, whose running
// session gains the role at once; removes a user (session gone). Nobody
// demotes, disables or removes themself; a member manages nobody; every
// change is in the audit trail.
func TestUserAdministration(t *testing.T) {
	onBothStores(t, func(t *testing.T, h *harness) {
		bobPW, carolPW := h.addUser("acme", "bob"), h.addUser("acme", "carol")
		sso := &wizard.User{ID: "sso-1", OrgID: orgID(t, h, "acme"), Name: "dana@acme.example", Issuer: "https://idp.acme.example", Subject: "sub-dana", Role: wizard.RoleMember, Created: h.now.get()}
		if err := h.store.CreateUser(context.Background(), sso); err != nil {
			t.Fatal(err)
		}
		admin := h.client().mustLogin("admin", adminPassword)
		bob := h.client().mustLogin("bob", bobPW)
		carol := h.client().mustLogin("carol", carolPW)

		list := usersOf(t, admin)
		if len(list) != 4 || list["admin"].Role != "admin" || list["bob"].Role != "member" || list["bob"].SignIn != "local" ||
			list["dana@acme.example"].SignIn != "sso" || list["dana@acme.example"].Issuer != "https://idp.acme.example" ||
			list["admin"].LastSignIn == "" || list["dana@acme.example"].LastSignIn != "" || list["bob"].Created == "" {
			t.Fatalf("users = %+v", list)
		}
		_, raw := admin.do("GET", "/api/v1/users", nil)
		if strings.Contains(string(raw), "$2a$") || strings.Contains(string(raw), "sub-dana") {
			t.Fatalf("the user list shows a password hash or an SSO subject: %s", raw)
		}

		// A member manages nobody.
		if code, _ := bob.do("GET", "/api/v1/users", nil); code != http.StatusForbidden {
			t.Errorf("member lists users = %d, want 403", code)
		}
		if code, _ := bob.do("PATCH", "/api/v1/users/"+list["carol"].ID, map[string]any{"disabled": true}); code != http.StatusForbidden {
			t.Errorf("member disables a user = %d, want 403", code)
		}

		// Disable: the session stops at once; only the right password learns why.
		code, data := admin.do("PATCH", "/api/v1/users/"+list["bob"].ID, map[string]any{"disabled": true})
		if code != http.StatusOK || !decode[userView](t, data).Disabled {
			t.Fatalf("disable bob = %d %s", code, data)
		}
		if bob.signedIn() {
			t.Fatal("a disabled user's session still works")
		}
		if code := h.client().login("bob", bobPW); code != http.StatusForbidden {
			t.Fatalf("disabled user signs in = %d, want 403", code)
		}
		if code := h.client().login("bob", "not-bobs-password"); code != http.StatusUnauthorized {
			t.Fatalf("disabled user, wrong password = %d, want 401", code)
		}
		if code, _ := admin.do("PATCH", "/api/v1/users/"+list["bob"].ID, map[string]any{"disabled": false}); code != http.StatusOK {
			t.Fatalf("re-enable bob = %d", code)
		}
		bob.mustLogin("bob", bobPW)

		// Promote: the running session is an admin's at once.
		if code, data := admin.do("PATCH", "/api/v1/users/"+list["bob"].ID, map[string]any{"role": "admin"}); code != http.StatusOK || decode[userView](t, data).Role != "admin" {
			t.Fatalf("promote bob = %d %s", code, data)
		}
		if code, _ := bob.do("GET", "/api/v1/users", nil); code != http.StatusOK {
			t.Fatalf("promoted bob lists users = %d", code)
		}

		// Nobody demotes, disables or removes themself; bad input names the fix.
		for _, r := range []struct {
			method string
			body   any
			want   int
		}{
			{"PATCH", map[string]any{"role": "member"}, http.StatusForbidden},
			{"PATCH", map[string]any{"disabled": true}, http.StatusForbidden},
			{"DELETE", nil, http.StatusForbidden},
			{"PATCH", map[string]any{"role": "owner"}, http.StatusUnprocessableEntity},
			{"PATCH", map[string]any{"name": "root"}, http.StatusUnprocessableEntity},
			{"PATCH", map[string]any{"role": "admin", "disabled": true}, http.StatusForbidden}, // neither is made
		} {
			if code, data := admin.do(r.method, "/api/v1/users/"+list["admin"].ID, r.body); code != r.want {
				t.Errorf("admin %s themself %v = %d %s, want %d", r.method, r.body, code, data, r.want)
			}
		}
		if _, data := admin.do("PATCH", "/api/v1/users/"+list["admin"].ID, map[string]any{"role": "owner"}); !strings.Contains(string(data), "use admin or member") {
			t.Errorf("unknown role: %s", data)
		}

		// Remove: the session goes, the name no longer signs in.
		if code, _ := admin.do("DELETE", "/api/v1/users/"+list["carol"].ID, nil); code != http.StatusNoContent {
			t.Fatalf("remove carol = %d", code)
		}
		if carol.signedIn() {
			t.Fatal("a removed user's session still works")
		}
		if code := h.client().login("carol", carolPW); code != http.StatusUnauthorized {
			t.Fatalf("removed user signs in = %d, want 401", code)
		}
		if code, _ := admin.do("DELETE", "/api/v1/users/"+list["carol"].ID, nil); code != http.StatusNotFound {
			t.Fatalf("remove a removed user = %d, want 404", code)
		}

		_, data = admin.do("GET", "/api/v1/audit", nil)
		got := map[string]string{}
		for _, e := range decode[auditPage](t, data).Events {
			if strings.HasPrefix(e.Action, "user.") || e.Action == "login.disabled" {
				got[e.Action] = e.Actor + " " + e.Target
			}
		}
		if strings.Contains(string(data), "admin → admin") {
			t.Errorf("a refused two-part change made its first part: %s", data)
		}
		want := map[string]string{"user.disable": "admin bob", "user.enable": "admin bob", "user.role": "admin bob → admin",
			"user.remove": "admin carol", "login.disabled": "bob from 127.0.0.1"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("audit %s = %q, want %q (trail %s)", k, got[k], v, data)
			}
		}
	})
}

// TestUserAdminIsolated: the admin of globex sees only globex's users and
// can change none of acme's, by the API or the page's forms.
func TestUserAdminIsolated(t *testing.T) {
	onBothStores(t, func(t *testing.T, h *harness) {
		h.addUser("acme", "bob")
		mallory := h.client().mustLogin("mallory", h.addUser("globex", "mallory"))
		admin := h.client().mustLogin("admin", adminPassword)
		acme := usersOf(t, admin)
		if list := usersOf(t, mallory); len(list) != 1 || list["mallory"].Role != "admin" {
			t.Fatalf("globex's users = %+v; want only mallory, its first user and admin", list)
		}
		bob := acme["bob"].ID
		for _, r := range []struct {
			method string
			body   any
		}{
			{"PATCH", map[string]any{"role": "admin"}},
			{"PATCH", map[string]any{"disabled": true}},
			{"DELETE", nil},
		} {
			if code, _ := mallory.do(r.method, "/api/v1/users/"+bob, r.body); code != http.StatusNotFound {
				t.Errorf("globex %s acme's user %v = %d, want 404", r.method, r.body, code)
			}
		}
		for _, change := range []string{"disable", "remove", "role"} {
			if code, _ := mallory.form("/users/"+bob+"/"+change, url.Values{"csrf": {mallory.csrf}, "role": {"admin"}}); code != http.StatusNotFound {
				t.Errorf("globex's form %s on acme's user = %d, want 404", change, code)
			}
		}
		if after := usersOf(t, admin); after["bob"] != acme["bob"] {
			t.Fatalf("bob after globex's attempts: %+v, was %+v", after["bob"], acme["bob"])
		}
		_, data := mallory.do("GET", "/api/v1/audit", nil)
		if strings.Contains(string(data), "bob") {
			t.Fatalf("globex's trail mentions acme's user: %s", data)
		}
	})
}

// TestUsersPage: the page lists the users with a form per action holding
// the CSRF token; a form without it is refused; a refused action is shown
// above the list; only admins see the page and its link.
func TestUsersPage(t *testing.T) {
	h := newHarness(t)
	bobPW := h.addUser("acme", "bob")
	admin := h.client().mustLogin("admin", adminPassword)
	bob := usersOf(t, admin)["bob"].ID
	code, page := admin.form("/users/"+bob+"/disable", url.Values{})
	if code != http.StatusForbidden || !strings.Contains(page, "CSRF") {
		t.Fatalf("form without the CSRF token = %d", code)
	}
	res, err := admin.http.Get(h.srv.URL + "/users")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	page = string(b)
	if res.StatusCode != 200 || !strings.Contains(page, `action="/users/`+bob+`/disable"`) || !strings.Contains(page, `name="csrf" value="`+admin.csrf+`"`) ||
		!strings.Contains(page, `href="/users"`) || !strings.Contains(page, "admin (you)") {
		t.Fatalf("users page = %d\n%s", res.StatusCode, page)
	}
	if code, _ := admin.form("/users/"+bob+"/disable", url.Values{"csrf": {admin.csrf}}); code != http.StatusSeeOther {
		t.Fatalf("disable by the form = %d, want 303", code)
	}
	if !usersOf(t, admin)["bob"].Disabled {
		t.Fatal("the form did not disable bob")
	}
	me := usersOf(t, admin)["admin"].ID
	code, page = admin.form("/users/"+me+"/remove", url.Values{"csrf": {admin.csrf}})
	if code != http.StatusForbidden || !strings.Contains(page, "you cannot remove yourself") || !strings.Contains(page, `id="users"`) {
		t.Fatalf("removing oneself by the form = %d\n%s", code, page)
	}
	admin.form("/users/"+bob+"/enable", url.Values{"csrf": {admin.csrf}})
	member := h.client().mustLogin("bob", bobPW)
	res, _ = member.http.Get(h.srv.URL + "/users")
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("a member's users page = %d, want 403", res.StatusCode)
	}
	res, _ = member.http.Get(h.srv.URL + "/audit")
	b, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if strings.Contains(string(b), `href="/users"`) {
		t.Fatal("a member's header links the users page")
	}
}

// TestAdminsDemotingEachOtherAtOnce: on two replicas of one PostgreSQL,
// two admins demote each other in the same instant: one wins, the other
// is refused, and the organisation keeps exactly one admin.
func TestAdminsDemotingEachOtherAtOnce(t *testing.T) {
	a, b := twoReplicas(t, "")
	pw := a.addUser("acme", "bob")
	first := a.client().mustLogin("admin", adminPassword)
	ids := usersOf(t, first)
	if code, _ := first.do("PATCH", "/api/v1/users/"+ids["bob"].ID, map[string]any{"role": "admin"}); code != 200 {
		t.Fatal("promote bob")
	}
	second := b.client().mustLogin("bob", pw)
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i, r := range []struct {
		c      *client
		target string
	}{{first, ids["bob"].ID}, {second, ids["admin"].ID}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = r.c.do("PATCH", "/api/v1/users/"+r.target, map[string]any{"role": "member"})
		}()
	}
	wg.Wait()
	if (codes[0] == 200) == (codes[1] == 200) || (codes[0] != 403 && codes[1] != 403) {
		t.Fatalf("two admins demoting each other = %v; want one 200 and one 403", codes)
	}
	admins := 0
	for _, u := range ids {
		if got, _ := a.store.UserByID(context.Background(), u.ID); got.Role == wizard.RoleAdmin {
			admins++
		}
	}
	if admins != 1 {
		t.Fatalf("%d admins after the race, want 1", admins)
	}
}

func orgID(t *testing.T, h *harness, name string) string {
	t.Helper()
	o, err := h.store.OrgByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return o.ID
}
