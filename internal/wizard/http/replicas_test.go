package http_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/tofutest"
	"github.com/openova-io/openova/internal/wizard"
	"github.com/openova-io/openova/internal/wizard/apply"
	wizhttp "github.com/openova-io/openova/internal/wizard/http"
	"github.com/openova-io/openova/internal/wizard/postgres"
	"github.com/openova-io/openova/internal/wizard/postgres/pgtest"
	"github.com/openova-io/openova/internal/wizard/secrets"
)

// replica is one wizard of the hosted deployment: its own store
// connections, work directory and lease holder, on the shared PostgreSQL.
func replica(t *testing.T, dsn string, sealer *secrets.Sealer, tofu, name string, now *atomicTime) *harness {
	t.Helper()
	store, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, dir: t.TempDir(), store: store, sealer: sealer, tofu: tofu, applyConfig: testApplyConfig}
	h.now.set(now.get())
	s, err := wizhttp.New(wizhttp.Config{Store: store, Catalog: embeddedCatalog(t), Sealer: sealer, Now: h.now.get, Random: rand.Reader,
		Tofu: tofu, ApplyDir: filepath.Join(h.dir, "apply"), ApplyConfig: testApplyConfig,
		ReplicaID: name, ApplyLease: time.Second, Logger: slog.New(slog.NewTextHandler(&h.logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Resume(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.server, h.srv = s, httptest.NewServer(s)
	t.Cleanup(h.stop)
	return h
}

// hosted is the hosted deployment's shared state: a database on a fresh
// PostgreSQL, one sealing key file, and the clock the replicas start at
// (the real time: the cookie jar judges cookie expiry by it).
func hosted(t *testing.T) (dsn string, sealer *secrets.Sealer, now *atomicTime) {
	t.Helper()
	dsn = pgtest.Start(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE wizard_ha"); err != nil {
		t.Fatal(err)
	}
	key := make([]byte, secrets.KeySize)
	rand.Read(key)
	sealer, _ = secrets.New(key, rand.Reader)
	now = &atomicTime{}
	now.set(time.Now().UTC().Truncate(time.Second))
	return strings.Replace(dsn, "/postgres?", "/wizard_ha?", 1), sealer, now
}

// crash stops a replica the way a killed process does: its database
// connections go first, so it cannot give up its lease, and its tofu dies.
func (h *harness) crash() {
	h.store.Close()
	h.server.Close()
	h.srv.Close()
	h.srv = nil
}

// TestAnotherReplicaResumesAnApply: two wizard replicas on one real
// PostgreSQL. Replica A runs init and dies holding the lease; once the
// lease has expired replica B (its resume loop) takes the apply over in its
// own work directory without running init again; the browser, now talking
// to B, continues the feed from A's last event ID; the approval on B
// applies; the journal holds each step once.
func TestAnotherReplicaResumesAnApply(t *testing.T) {
	tofu := tofutest.Bin(t)
	a, b := twoReplicas(t, tofu)
	jar, _ := cookiejar.New(nil) // one browser; the load balancer sends it to A, then to B
	browser := &http.Client{Jar: jar}
	ca := (&client{h: a, http: browser}).mustLogin("admin", adminPassword)
	id := ca.newBootstrap()
	bodies, _ := stepBodies(t, "../../../examples/one-region.yaml")
	ca.fillSteps(id, bodies)
	ca.generateAll(id)
	if code, data := ca.do("POST", "/api/v1/bootstraps/"+id+"/apply", nil); code != http.StatusAccepted {
		t.Fatalf("apply on A = %d %s", code, data)
	}
	first := ca.events(id, 0, func(e apply.Event) bool { return e.Kind == apply.EventStep && e.Step == apply.StepInit })
	a.crash()

	cb := &client{h: b, http: browser, csrf: ca.csrf} // the session is in the shared database
	seen := first[len(first)-1].ID
	rest := cb.events(id, seen, status("awaiting-approval"))
	if rest[0].ID != seen+1 || rest[len(rest)-1].Text != "awaiting-approval" {
		t.Fatalf("B's feed starts at %d (want %d) and ends %q", rest[0].ID, seen+1, rest[len(rest)-1].Text)
	}
	for _, e := range rest {
		if e.Kind == apply.EventStep && e.Step == apply.StepInit {
			t.Fatalf("B journalled init again: %+v", e)
		}
	}
	if got, run := stepsOf(t, b, id); got != "init,plan" || len(run.Plan) == 0 {
		t.Fatalf("journal after B's plan = %s (plan %d bytes)", got, len(run.Plan))
	}
	if code, data := cb.do("POST", "/api/v1/bootstraps/"+id+"/apply/approve", nil); code != http.StatusAccepted {
		t.Fatalf("approve on B = %d %s", code, data)
	}
	done := cb.events(id, rest[len(rest)-1].ID, status("done"))
	if last := done[len(done)-1]; last.Text != "done" {
		t.Fatalf("apply on B ended %q", last.Text)
	}
	got, run := stepsOf(t, b, id)
	if got != "init,plan,approve,applying,apply" || run.Holder != "" || run.Status != "done" {
		t.Fatalf("journal = %s, holder %q, status %q", got, run.Holder, run.Status)
	}
	if matches, _ := filepath.Glob(filepath.Join(b.dir, "apply", "*", "terraform.tfstate")); len(matches) != 1 {
		t.Fatalf("B's work directory has no state: %v", matches)
	}
}

// twoReplicas are two wizard replicas on one PostgreSQL (hosted), sharing
// the key and a clock, with organisation acme's local admin.
func twoReplicas(t *testing.T, tofu string) (a, b *harness) {
	t.Helper()
	dsn, sealer, now := hosted(t)
	a = replica(t, dsn, sealer, tofu, "replica-a", now)
	b = replica(t, dsn, sealer, tofu, "replica-b", now)
	if _, err := wizard.AddLocalUser(context.Background(), a.store, "acme", "admin", adminPassword, now.get()); err != nil {
		t.Fatal(err)
	}
	return a, b
}
