package http_test

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
)

type created struct {
	User             userView
	Password, Notice string
}

type refusal struct {
	Code   string
	Errors []struct{ Field, Message string }
}

// TestAddUser: an admin adds a local user of their organisation through
// the API with a role; the generated password is answered once (never in
// the list, the audit trail, the log or the database file) and signs the
// user in; a taken name (also another organisation's), a bad name or role
// is refused naming its field; a member adds nobody; another
// organisation's admin adds only to theirs. On SQLite and PostgreSQL.
func TestAddUser(t *testing.T) {
	onBothStores(t, func(t *testing.T, h *harness) {
		admin := h.client().mustLogin("admin", adminPassword)
		code, data := admin.do("POST", "/api/v1/users", map[string]string{"name": "erin", "role": "member"})
		c := decode[created](t, data)
		if code != http.StatusCreated || c.User.Name != "erin" || c.User.Role != "member" || c.User.SignIn != "local" ||
			len(c.Password) < 24 || !strings.Contains(c.Notice, "never shows it again") {
			t.Fatalf("add erin = %d %s", code, data)
		}
		erin := h.client().mustLogin("erin", c.Password)
		if code, _ := erin.do("POST", "/api/v1/users", map[string]string{"name": "fred"}); code != http.StatusForbidden {
			t.Errorf("a member adds a user = %d, want 403", code)
		}
		code, data = admin.do("POST", "/api/v1/users", map[string]string{"name": "hank", "role": "admin"})
		hank := decode[created](t, data)
		if code != http.StatusCreated || hank.User.Role != "admin" || hank.Password == c.Password {
			t.Fatalf("add hank as admin = %d %s", code, data)
		}
		if code, _ := h.client().mustLogin("hank", hank.Password).do("GET", "/api/v1/users", nil); code != http.StatusOK {
			t.Errorf("the new admin lists users = %d", code)
		}
		if list := usersOf(t, admin); list["erin"].ID != c.User.ID || list["hank"].Role != "admin" {
			t.Fatalf("users after adding = %+v", list)
		}

		// Another organisation adds only to itself; names are unique across both.
		mallory := h.client().mustLogin("mallory", h.addUser("globex", "mallory"))
		if code, data := mallory.do("POST", "/api/v1/users", map[string]string{"name": "gus"}); code != http.StatusCreated {
			t.Fatalf("globex adds gus = %d %s", code, data)
		}
		if _, ok := usersOf(t, admin)["gus"]; ok {
			t.Fatal("globex's new user is in acme's list")
		}
		if list := usersOf(t, mallory); len(list) != 2 || list["gus"].Role != "member" {
			t.Fatalf("globex's users = %+v", list)
		}

		for _, tc := range []struct {
			body        map[string]any
			code        int
			field, want string
		}{
			{map[string]any{"name": "erin"}, http.StatusConflict, "name", "the user name erin is taken"},
			{map[string]any{"name": "gus"}, http.StatusConflict, "name", "the user name gus is taken"},
			{map[string]any{"name": "ivy@acme.example"}, http.StatusUnprocessableEntity, "name", "kept for single sign-on"},
			{map[string]any{"name": ""}, http.StatusUnprocessableEntity, "name", "type the new user's name"},
			{map[string]any{"name": "ivy", "role": "owner"}, http.StatusUnprocessableEntity, "role", "use admin or member"},
		} {
			code, data := admin.do("POST", "/api/v1/users", tc.body)
			r := decode[refusal](t, data)
			if code != tc.code || len(r.Errors) != 1 || r.Errors[0].Field != tc.field || !strings.Contains(r.Errors[0].Message, tc.want) {
				t.Errorf("add %v = %d %s; want %d on %s saying %q", tc.body, code, data, tc.code, tc.field, tc.want)
			}
		}
		if code, data := admin.do("POST", "/api/v1/users", map[string]any{"name": "ivy", "password": "chosen-by-me-123"}); code != http.StatusUnprocessableEntity {
			t.Errorf("add with a chosen password = %d %s, want 422", code, data)
		}
		if code := h.client().login("ivy", "chosen-by-me-123"); code != http.StatusUnauthorized {
			t.Errorf("a refused user signs in = %d", code)
		}

		_, data = admin.do("GET", "/api/v1/audit", nil)
		if !strings.Contains(string(data), `"action": "user.create"`) || !strings.Contains(string(data), `"target": "hank (admin)"`) {
			t.Errorf("audit trail lacks the creations: %s", data)
		}
		_, data = mallory.do("GET", "/api/v1/audit", nil)
		if strings.Contains(string(data), "erin") {
			t.Errorf("globex's trail mentions acme's new user: %s", data)
		}
		// Shown once: the creation's answer is the only place the password is.
		if n := bytes.Count(h.bodies.Bytes(), []byte(c.Password)); n != 1 {
			t.Errorf("erin's password is in %d API answers, want only its creation's", n)
		}
		if strings.Contains(h.logs.String(), c.Password) {
			t.Error("erin's password is in the log")
		}
		if db, err := os.ReadFile(h.dbPath()); err == nil && bytes.Contains(db, []byte(c.Password)) {
			t.Error("erin's password is in the database file")
		}
	})
}

// TestAddUserPage: the Users page's add form (CSRF in a field) shows the
// generated password on its answer only; a taken name is refused beside
// the field, the typed values kept.
func TestAddUserPage(t *testing.T) {
	h := newHarness(t)
	admin := h.client().mustLogin("admin", adminPassword)
	if code, page := admin.form("/users", url.Values{"name": {"ivy"}}); code != http.StatusForbidden || !strings.Contains(page, "CSRF") {
		t.Fatalf("add form without the CSRF token = %d", code)
	}
	code, page := admin.form("/users", url.Values{"csrf": {admin.csrf}, "name": {"ivy"}, "role": {"member"}})
	m := regexp.MustCompile(`<output class="secret" id="created-password">([^<]+)</output>`).FindStringSubmatch(page)
	if code != http.StatusCreated || m == nil || !strings.Contains(page, "Added <strong>ivy</strong> as member") || !strings.Contains(page, `id="user-created"`) {
		t.Fatalf("add by the form = %d\n%s", code, page)
	}
	h.client().mustLogin("ivy", m[1])
	res, err := admin.http.Get(h.srv.URL + "/users")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	res.Body.Close()
	if strings.Contains(b.String(), m[1]) || !strings.Contains(b.String(), `id="add-user"`) {
		t.Fatal("the users page shows the password again, or has no add form")
	}
	code, page = admin.form("/users", url.Values{"csrf": {admin.csrf}, "name": {"ivy"}, "role": {"admin"}})
	if code != http.StatusConflict || !strings.Contains(page, `<p class="error" role="alert" id="new-name-error">the user name ivy is taken`) ||
		!strings.Contains(page, `value="ivy"`) || !strings.Contains(page, `aria-invalid="true"`) || !strings.Contains(page, `<option value="admin" selected>`) {
		t.Fatalf("a taken name by the form = %d\n%s", code, page)
	}
}
