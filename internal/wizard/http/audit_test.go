package http_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/wizard"
)

type auditPage struct {
	Events []struct {
		Seq                   int64
		Actor, Action, Target string
		At                    string
	}
	Next int64
}

// TestAuditTrail: the organisation's trail, newest first and paginated,
// over the API and on its page; who, what, when for each action; no
// credential value in any entry; another organisation sees none of it.
func TestAuditTrail(t *testing.T) {
	h := newHarness(t)
	c := h.client().mustLogin("admin", adminPassword)
	id := c.newBootstrap()
	h.now.set(h.now.get().Add(time.Minute))
	if code, data := c.do("PUT", "/api/v1/bootstraps/"+id+"/credentials", typed); code != 200 {
		t.Fatalf("credentials = %d %s", code, data)
	}
	gen := c.generateAll(id)

	var all []string
	var pages int
	before := ""
	for {
		code, data := c.do("GET", "/api/v1/audit?limit=3"+before, nil)
		if code != 200 {
			t.Fatalf("audit = %d %s", code, data)
		}
		p := decode[auditPage](t, data)
		pages++
		for _, e := range p.Events {
			if e.Actor != "admin" || e.At == "" || e.Seq == 0 {
				t.Errorf("entry without who or when: %+v", e)
			}
			all = append(all, e.Action+" "+e.Target)
		}
		if p.Next == 0 {
			break
		}
		before = "&before=" + strconv.FormatInt(p.Next, 10)
	}
	want := []string{
		"credentials.generate:k3s-token " + id, "credentials.generate:state-passphrase " + id,
	}
	if len(all) != 1+1+len(typed)+len(generated) || pages != 4 || all[0] != want[0] || all[1] != want[1] || all[len(all)-1] != "login admin" {
		t.Fatalf("trail (newest first, %d pages of 3) = %q", pages, all)
	}
	if !strings.HasPrefix(all[len(all)-2], "bootstrap.create ") {
		t.Fatalf("second oldest = %q, want bootstrap.create", all[len(all)-2])
	}

	code, page := c.do("GET", "/audit", nil)
	if code != 200 || !strings.Contains(string(page), `id="audit"`) || !strings.Contains(string(page), "credentials.generate:k3s-token") {
		t.Fatalf("audit page = %d\n%s", code, page)
	}
	if first, last := strings.Index(string(page), "credentials.generate:k3s-token"), strings.Index(string(page), ">login<"); first > last {
		t.Fatal("the audit page is not newest first")
	}

	// Page 2 of the UI, with a link back.
	for i := 0; i < 60; i++ {
		if err := h.store.AppendAudit(context.Background(), &wizard.AuditEvent{OrgID: orgOf(t, h), Actor: "admin", Action: "export", Target: id, At: h.now.get()}); err != nil {
			t.Fatal(err)
		}
	}
	_, page = c.do("GET", "/audit", nil)
	if !strings.Contains(string(page), `id="audit-older"`) || strings.Contains(string(page), ">login<") {
		t.Fatal("the first page of 60+ events has no link to older ones, or shows the oldest")
	}
	_, data := c.do("GET", "/api/v1/audit", nil)
	older := decode[auditPage](t, data).Next
	_, page = c.do("GET", "/audit?before="+strconv.FormatInt(older, 10), nil)
	if !strings.Contains(string(page), ">login<") || !strings.Contains(string(page), `id="audit-newest"`) {
		t.Fatal("the older page lacks the oldest event or a link to the newest")
	}
	if code, _ := c.do("GET", "/api/v1/audit?limit=0", nil); code != http.StatusUnprocessableEntity && code != http.StatusBadRequest {
		t.Fatalf("limit=0 = %d, want refused", code)
	}

	_, trail := c.do("GET", "/api/v1/audit?limit=200", nil)
	for _, v := range append(mapValues(typed), mapValues(gen)...) {
		if strings.Contains(string(trail), v) {
			t.Errorf("a credential value is in the audit trail")
		}
	}

	if _, err := wizard.AddLocalUser(context.Background(), h.store, "globex", "mallory", adminPassword, h.now.get()); err != nil {
		t.Fatal(err)
	}
	other := h.client().mustLogin("mallory", adminPassword)
	_, data = other.do("GET", "/api/v1/audit", nil)
	if strings.Contains(string(data), id) || strings.Contains(string(data), `"admin"`) {
		t.Fatalf("another organisation's trail shows acme's events: %s", data)
	}
	_, page = other.do("GET", "/audit", nil)
	if strings.Contains(string(page), id) {
		t.Fatal("another organisation's audit page shows acme's bootstrap")
	}
}

// TestDeleteWipesCredentials: deleting a bootstrap (the home page's
// Delete button calls the API) removes it and its credentials: neither a
// typed nor a generated value, nor their sealed form, stays in the
// database file; the trail records who deleted it.
func TestDeleteWipesCredentials(t *testing.T) {
	h := newHarness(t)
	c := h.client().mustLogin("admin", adminPassword)
	id := c.newBootstrap()
	if code, data := c.do("PUT", "/api/v1/bootstraps/"+id+"/credentials", typed); code != 200 {
		t.Fatalf("credentials = %d %s", code, data)
	}
	gen := c.generateAll(id)
	sealed, err := h.store.Credentials(context.Background(), orgOf(t, h), id)
	if err != nil || len(sealed) != len(typed)+len(generated) {
		t.Fatalf("sealed = %d, %v", len(sealed), err)
	}
	if _, page := c.do("GET", "/", nil); !strings.Contains(string(page), `data-delete data-id="`+id+`"`) {
		t.Fatal("the home page has no Delete button for the bootstrap")
	}
	before, _ := os.ReadFile(h.dbPath())
	if !bytes.Contains(before, sealed["hcloud-token"]) {
		t.Fatal("the sealed token is not in the database file before the delete: the scan below would prove nothing")
	}
	if code, data := c.do("DELETE", "/api/v1/bootstraps/"+id, nil); code != http.StatusNoContent {
		t.Fatalf("delete = %d %s", code, data)
	}
	if code, _ := c.do("GET", "/api/v1/bootstraps/"+id, nil); code != http.StatusNotFound {
		t.Fatalf("a deleted bootstrap answers %d", code)
	}
	db, err := os.ReadFile(h.dbPath())
	if err != nil {
		t.Fatal(err)
	}
	for name, box := range sealed {
		if bytes.Contains(db, box) {
			t.Errorf("sealed %s is still in the database file", name)
		}
	}
	for _, v := range append(mapValues(typed), mapValues(gen)...) {
		if bytes.Contains(db, []byte(v)) {
			t.Error("a credential is readable in the database file")
		}
	}
	_, data := c.do("GET", "/api/v1/audit?limit=1", nil)
	if p := decode[auditPage](t, data); len(p.Events) != 1 || p.Events[0].Action != "bootstrap.delete" || p.Events[0].Target != id {
		t.Fatalf("newest audit event = %s, want admin's bootstrap.delete", data)
	}
}

// TestRefusedSignInsAudited: a wrong password, and sign-ins refused by the
// rate limit, of a known user are in their organisation's trail with the
// client address, never the password typed.
func TestRefusedSignInsAudited(t *testing.T) {
	h := newHarness(t)
	mallory := h.client()
	for i := 0; i < 6; i++ {
		if code := mallory.login("admin", "guessed-password-LEAKCHECK"); code != http.StatusUnauthorized && code != http.StatusTooManyRequests {
			t.Fatalf("wrong password = %d", code)
		}
	}
	mallory.login("nobody", "guessed-password-LEAKCHECK")
	h.now.set(h.now.get().Add(16 * time.Minute)) // past the limiter's window
	c := h.client().mustLogin("admin", adminPassword)
	_, data := c.do("GET", "/api/v1/audit", nil)
	p := decode[auditPage](t, data)
	count := map[string]int{}
	for _, e := range p.Events {
		count[e.Action]++
		if strings.HasPrefix(e.Action, "login.") && (e.Actor != "admin" || e.Target != "from 127.0.0.1") {
			t.Errorf("refused sign-in entry = %+v, want admin from 127.0.0.1", e)
		}
	}
	if count["login.failed"] != 5 || count["login.refused"] != 1 || count["login"] != 1 {
		t.Fatalf("trail = %s; want 5 login.failed, 1 login.refused, 1 login", data)
	}
	if strings.Contains(string(data), "LEAKCHECK") || strings.Contains(string(data), "nobody") {
		t.Fatalf("the trail holds a typed password or an unknown name: %s", data)
	}
}
