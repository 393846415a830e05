// Package storetest is the one test suite every wizard.Store passes,
// run against the real databases by the sqlite and postgres adapters.
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/instance"
	"github.com/openova-io/openova/internal/wizard"
)

// Target is a store under test. Reopen closes the store and opens the same
// database again, as a restart (or another replica) would.
type Target struct {
	Store  wizard.Store
	Reopen func(t *testing.T) wizard.Store
}

var t0 = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// Run runs the suite; open returns a fresh, empty database each call.
func Run(t *testing.T, open func(t *testing.T) Target) {
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Target)
	}{
		{"OrgsAndUsers", testOrgsAndUsers},
		{"SessionsExpireAndSurviveRestart", testSessions},
		{"BootstrapRoundTrip", testBootstrapRoundTrip},
		{"OrganisationsAreIsolated", testIsolation},
		{"Credentials", testCredentials},
		{"Audit", testAudit},
		{"ApplyJournalAndLease", testApplyJournal},
		{"ApplyEventsBounded", testApplyEvents},
		{"LoginThrottle", testLoginThrottle},
		{"UserAdmin", testUserAdmin},
		{"AddOrgUser", testAddOrgUser},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func code(err error) string {
	if err == nil {
		return "nil"
	}
	return wizard.ErrorCode(err)
}

func seed(t *testing.T, s wizard.Store, org string) (*wizard.Org, *wizard.User) {
	t.Helper()
	ctx := context.Background()
	o := &wizard.Org{ID: "org-" + org, Name: org, Created: t0}
	if err := s.CreateOrg(ctx, o); err != nil {
		t.Fatalf("CreateOrg(%s): %v", org, err)
	}
	u := &wizard.User{ID: "user-" + org, OrgID: o.ID, Name: org + "-admin", PasswordHash: "$2a$hash", Role: wizard.RoleAdmin, Created: t0}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return o, u
}

func testOrgsAndUsers(t *testing.T, tg Target) {
	ctx, s := context.Background(), tg.Store
	if n, err := s.CountUsers(ctx); err != nil || n != 0 {
		t.Fatalf("CountUsers on empty store = %d, %v", n, err)
	}
	o, u := seed(t, s, "acme")
	if err := s.CreateOrg(ctx, &wizard.Org{ID: "other", Name: "acme", Created: t0}); code(err) != wizard.ECONFLICT {
		t.Fatalf("duplicate org name: %v (code %s), want conflict", err, code(err))
	}
	got, err := s.OrgByName(ctx, "acme")
	if err != nil || *got != *o {
		t.Fatalf("OrgByName = %+v, %v; want %+v", got, err, o)
	}
	gu, err := s.UserByName(ctx, "acme-admin")
	if err != nil || *gu != *u {
		t.Fatalf("UserByName = %+v, %v; want %+v", gu, err, u)
	}
	if gu, err := s.UserByID(ctx, u.ID); err != nil || *gu != *u {
		t.Fatalf("UserByID = %+v, %v; want %+v", gu, err, u)
	}
	if _, err := s.UserByName(ctx, "nobody"); code(err) != wizard.ENOTFOUND {
		t.Fatalf("unknown user: %v, want not found", err)
	}
	sso := &wizard.User{ID: "u2", OrgID: o.ID, Name: "jane@acme.example", Issuer: "https://idp", Subject: "sub-1", Created: t0}
	if err := s.CreateUser(ctx, sso); err != nil {
		t.Fatal(err)
	}
	if got, err := s.UserBySubject(ctx, "https://idp", "sub-1"); err != nil || got.ID != "u2" {
		t.Fatalf("UserBySubject = %+v, %v", got, err)
	}
	if _, err := s.UserBySubject(ctx, "https://other-idp", "sub-1"); code(err) != wizard.ENOTFOUND {
		t.Fatalf("subject of another issuer matched: %v", err)
	}
	if n, _ := s.CountUsers(ctx); n != 2 {
		t.Fatalf("CountUsers = %d, want 2", n)
	}
}

func testSessions(t *testing.T, tg Target) {
	ctx := context.Background()
	o, u := seed(t, tg.Store, "acme")
	x := &wizard.Session{TokenHash: "h1", UserID: u.ID, OrgID: o.ID, CSRF: "c1", Expires: t0.Add(time.Hour)}
	if err := tg.Store.CreateSession(ctx, x); err != nil {
		t.Fatal(err)
	}
	// A single sign-on session keeps its sealed ID token; the store holds
	// the bytes as given.
	sso := &wizard.Session{TokenHash: "h2", UserID: u.ID, OrgID: o.ID, CSRF: "c2", Expires: t0.Add(time.Hour), IDToken: []byte("\x00sealed-id-token\xff")}
	if err := tg.Store.CreateSession(ctx, sso); err != nil {
		t.Fatal(err)
	}
	s := tg.Reopen(t)
	got, err := s.Session(ctx, "h1", t0)
	if err != nil || !reflect.DeepEqual(got, x) {
		t.Fatalf("session after restart = %+v, %v; want %+v", got, err, x)
	}
	if got, err := s.Session(ctx, "h2", t0); err != nil || !reflect.DeepEqual(got, sso) {
		t.Fatalf("single sign-on session after restart = %+v, %v; want %+v", got, err, sso)
	}
	if err := s.DeleteSession(ctx, "h2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, "h1", t0.Add(time.Hour)); code(err) != wizard.ENOTFOUND {
		t.Fatalf("expired session returned: %v", err)
	}
	if err := s.DeleteSession(ctx, "h1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, "h1", t0); code(err) != wizard.ENOTFOUND {
		t.Fatalf("deleted session returned: %v", err)
	}
}

func sampleBootstrap(id, org string) *wizard.Bootstrap {
	in := wizard.NewInstance()
	in.Spec.Tenant, in.Spec.Domain = "acme", "acme.example.com"
	in.Spec.Regions = []instance.Region{{Name: "fsn", Location: "fsn1", ControlPlane: instance.ControlPlane{Count: 1}}}
	in.Spec.Components = []string{"keycloak"}
	return &wizard.Bootstrap{ID: id, OrgID: org, Instance: in, Done: []string{"organisation"}, Status: wizard.StatusDraft, Created: t0, Updated: t0}
}

func testBootstrapRoundTrip(t *testing.T, tg Target) {
	ctx, s := context.Background(), tg.Store
	o, _ := seed(t, s, "acme")
	b := sampleBootstrap("b1", o.ID)
	if err := s.CreateBootstrap(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateBootstrap(ctx, b); code(err) != wizard.ECONFLICT {
		t.Fatalf("duplicate bootstrap: %v, want conflict", err)
	}
	b.Instance.Spec.Domain = "acme.example.org"
	b.MarkDone("cloud", true)
	b.Updated = t0.Add(time.Minute)
	if err := s.UpdateBootstrap(ctx, b); err != nil {
		t.Fatal(err)
	}
	s = tg.Reopen(t)
	got, err := s.Bootstrap(ctx, o.ID, "b1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, b) {
		t.Fatalf("bootstrap after restart\n got %+v\nwant %+v", got, b)
	}
	for i := 2; i <= 3; i++ {
		if err := s.CreateBootstrap(ctx, sampleBootstrap(fmt.Sprint("b", i), o.ID)); err != nil {
			t.Fatal(err)
		}
	}
	list, err := s.Bootstraps(ctx, o.ID)
	if err != nil || len(list) != 3 {
		t.Fatalf("Bootstraps = %d, %v; want 3", len(list), err)
	}
	if err := s.DeleteBootstrap(ctx, o.ID, "b2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Bootstrap(ctx, o.ID, "b2"); code(err) != wizard.ENOTFOUND {
		t.Fatalf("deleted bootstrap: %v", err)
	}
}

func testIsolation(t *testing.T, tg Target) {
	ctx, s := context.Background(), tg.Store
	a, _ := seed(t, s, "acme")
	b, _ := seed(t, s, "globex")
	if err := s.CreateBootstrap(ctx, sampleBootstrap("ba", a.ID)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutCredential(ctx, a.ID, "ba", "hcloud-token", []byte("sealed-a")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Bootstrap(ctx, b.ID, "ba"); code(err) != wizard.ENOTFOUND {
		t.Fatalf("globex read acme's bootstrap: %v", err)
	}
	if list, _ := s.Bootstraps(ctx, b.ID); len(list) != 0 {
		t.Fatalf("globex lists %d bootstraps of acme", len(list))
	}
	stolen := sampleBootstrap("ba", b.ID)
	stolen.Instance.Spec.Tenant = "evil"
	if err := s.UpdateBootstrap(ctx, stolen); code(err) != wizard.ENOTFOUND {
		t.Fatalf("globex updated acme's bootstrap: %v", err)
	}
	if err := s.DeleteBootstrap(ctx, b.ID, "ba"); code(err) != wizard.ENOTFOUND {
		t.Fatalf("globex deleted acme's bootstrap: %v", err)
	}
	if err := s.PutCredential(ctx, b.ID, "ba", "hcloud-token", []byte("x")); code(err) != wizard.ENOTFOUND {
		t.Fatalf("globex wrote acme's credential: %v", err)
	}
	if c, _ := s.Credentials(ctx, b.ID, "ba"); len(c) != 0 {
		t.Fatalf("globex read acme's credentials: %v", c)
	}
	if err := s.WipeCredentials(ctx, b.ID, "ba"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Bootstrap(ctx, a.ID, "ba")
	if err != nil || got.Instance.Spec.Tenant != "acme" {
		t.Fatalf("acme's bootstrap after globex's attempts: %+v, %v", got, err)
	}
	if c, _ := s.Credentials(ctx, a.ID, "ba"); string(c["hcloud-token"]) != "sealed-a" {
		t.Fatalf("acme's credential after globex's attempts: %q", c["hcloud-token"])
	}
}

func testCredentials(t *testing.T, tg Target) {
	ctx, s := context.Background(), tg.Store
	o, _ := seed(t, s, "acme")
	if err := s.PutCredential(ctx, o.ID, "missing", "x", []byte("y")); code(err) != wizard.ENOTFOUND {
		t.Fatalf("credential of a missing bootstrap: %v", err)
	}
	for _, id := range []string{"b1", "b2"} {
		if err := s.CreateBootstrap(ctx, sampleBootstrap(id, o.ID)); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.PutCredential(ctx, o.ID, "b1", "hcloud-token", []byte{1, 2}))
	must(s.PutCredential(ctx, o.ID, "b1", "hcloud-token", []byte{3, 4})) // replaced
	must(s.PutCredential(ctx, o.ID, "b1", "dns-token", []byte{5}))
	must(s.PutCredential(ctx, o.ID, "b2", "dns-token", []byte{6}))
	got, err := s.Credentials(ctx, o.ID, "b1")
	want := map[string][]byte{"hcloud-token": {3, 4}, "dns-token": {5}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Credentials = %v, %v; want %v", got, err, want)
	}
	must(s.WipeCredentials(ctx, o.ID, "b1"))
	if got, _ := s.Credentials(ctx, o.ID, "b1"); len(got) != 0 {
		t.Fatalf("after wipe: %v", got)
	}
	must(s.DeleteBootstrap(ctx, o.ID, "b2"))
	if got, _ := s.Credentials(ctx, o.ID, "b2"); len(got) != 0 {
		t.Fatalf("credentials outlived their bootstrap: %v", got)
	}
}

func testAudit(t *testing.T, tg Target) {
	ctx, s := context.Background(), tg.Store
	a, _ := seed(t, s, "acme")
	b, _ := seed(t, s, "globex")
	var want []*wizard.AuditEvent
	for i, act := range []string{"login", "bootstrap.create", "step.save"} {
		e := &wizard.AuditEvent{OrgID: a.ID, Actor: "acme-admin", Action: act, Target: "b1", At: t0.Add(time.Duration(i) * time.Second)}
		if err := s.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
		want = append(want, e)
	}
	if err := s.AppendAudit(ctx, &wizard.AuditEvent{OrgID: b.ID, Actor: "globex-admin", Action: "login", At: t0}); err != nil {
		t.Fatal(err)
	}
	s = tg.Reopen(t)
	got, err := s.Audit(ctx, a.ID, 0, 2)
	if err != nil || len(got) != 2 {
		t.Fatalf("Audit page 1 = %v, %v; want 2 events", got, err)
	}
	older, err := s.Audit(ctx, a.ID, got[1].Seq, 2)
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, older...)
	for i, e := range got {
		w := want[len(want)-1-i] // newest first
		if e.Seq == 0 || e.OrgID != w.OrgID || e.Actor != w.Actor || e.Action != w.Action || e.Target != w.Target || !e.At.Equal(w.At) {
			t.Fatalf("Audit[%d] = %+v; want %+v (newest first)", i, e, w)
		}
	}
	if len(got) != len(want) || got[0].Seq <= got[1].Seq {
		t.Fatalf("Audit pages = %d events (seq %d, %d); want %d, decreasing", len(got), got[0].Seq, got[1].Seq, len(want))
	}
	if rest, err := s.Audit(ctx, a.ID, got[len(got)-1].Seq, 2); err != nil || len(rest) != 0 {
		t.Fatalf("past the oldest event: %v, %v", rest, err)
	}
}
