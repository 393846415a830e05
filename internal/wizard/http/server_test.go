package http_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/wizard"
	wizhttp "github.com/openova-io/openova/internal/wizard/http"
	"github.com/openova-io/openova/internal/wizard/secrets"
	"github.com/openova-io/openova/internal/wizard/sqlite"
)

var (
	catOnce sync.Once
	cat     *catalog.Catalog
	catErr  error
)

func embeddedCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	catOnce.Do(func() { cat, catErr = catalog.Load(openova.Catalog) })
	if catErr != nil {
		t.Fatal(catErr)
	}
	return cat
}

// harness is a wizard on a real SQLite file served on loopback.
type harness struct {
	t      *testing.T
	dir    string
	store  wizard.Store
	sealer *secrets.Sealer
	srv    *httptest.Server
	server *wizhttp.Server
	now    atomicTime
	// tofu and applyConfig turn managed apply on (apply_test.go).
	tofu        string
	applyConfig func(*wizard.Bootstrap, *filetree.Tree) (map[string][]byte, error)
	// lease is the apply lease period (the wizard's default when zero).
	lease time.Duration
	// sso, when set, is called with the wizard's URL before it serves and
	// returns its single sign-on (oidc_test.go).
	sso func(url string) *wizhttp.OIDC
	// bodies holds every API response body, to prove no credential leaks.
	bodies bytes.Buffer
	// logs holds the wizard's log, for the same proof.
	logs lockedBuffer
	// tokens records the ID tokens the provider issued (ssoHarness).
	tokens *tokenLog
}

// lockedBuffer is a log sink written by concurrent handlers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

// atomicTime is the injected clock, moved by tests while handlers read it.
type atomicTime struct{ ns atomic.Int64 }

func (a *atomicTime) get() time.Time  { return time.Unix(0, a.ns.Load()).UTC() }
func (a *atomicTime) set(t time.Time) { a.ns.Store(t.UnixNano()) }

const adminPassword = "correct-horse-battery"

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, dir: t.TempDir()}
	// The injected clock starts at the real time: the browser's cookie jar
	// judges a cookie's expiry by the real clock.
	h.now.set(time.Now().UTC().Truncate(time.Second))
	key := make([]byte, secrets.KeySize)
	rand.Read(key)
	var err error
	if h.sealer, err = secrets.New(key, rand.Reader); err != nil {
		t.Fatal(err)
	}
	h.start()
	if _, err := wizard.AddLocalUser(context.Background(), h.store, "acme", "admin", adminPassword, h.now.get()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.stop)
	return h
}

func (h *harness) dbPath() string { return filepath.Join(h.dir, "wizard.db") }

func (h *harness) start() {
	var err error
	if h.store, err = sqlite.Open(context.Background(), h.dbPath()); err != nil {
		h.t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(nil)
	var sso *wizhttp.OIDC
	if h.sso != nil {
		sso = h.sso("http://" + srv.Listener.Addr().String())
	}
	s, err := wizhttp.New(wizhttp.Config{Store: h.store, Catalog: embeddedCatalog(h.t), Sealer: h.sealer,
		Logger: slog.New(slog.NewTextHandler(&h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:    h.now.get, Random: rand.Reader, Tofu: h.tofu, ApplyDir: filepath.Join(h.dir, "apply"), ApplyConfig: h.applyConfig, OIDC: sso, ApplyLease: h.lease})
	if err != nil {
		h.t.Fatal(err)
	}
	if err := s.Resume(context.Background()); err != nil {
		h.t.Fatal(err)
	}
	h.server = s
	srv.Config.Handler = s
	srv.Start()
	h.srv = srv
}

func (h *harness) stop() {
	if h.srv != nil {
		h.server.Close() // kills running tofu, as a crash would
		h.srv.Close()
		h.store.Close()
		h.srv = nil
	}
}

// restart is a process restart: same database file, new server.
func (h *harness) restart() string {
	old := h.srv.URL
	h.stop()
	h.start()
	return old
}

// client is one browser.
type client struct {
	h    *harness
	http *http.Client
	csrf string
}

func (h *harness) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{h: h, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, body any) (int, []byte) {
	c.h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.h.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.h.srv.URL+path, rd)
	if err != nil {
		c.h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	c.h.bodies.Write(data)
	return res.StatusCode, data
}

func (c *client) login(user, pw string) int {
	c.h.t.Helper()
	code, _ := c.do("POST", "/api/v1/login", map[string]string{"username": user, "password": pw})
	if code != http.StatusNoContent {
		return code
	}
	_, data := c.do("GET", "/api/v1/session", nil)
	var s struct{ CSRF string }
	json.Unmarshal(data, &s)
	c.csrf = s.CSRF
	return code
}

func (c *client) mustLogin(user, pw string) *client {
	c.h.t.Helper()
	if code := c.login(user, pw); code != http.StatusNoContent {
		c.h.t.Fatalf("login %s = %d", user, code)
	}
	return c
}

func (c *client) newBootstrap() string {
	c.h.t.Helper()
	code, data := c.do("POST", "/api/v1/bootstraps", nil)
	if code != http.StatusCreated {
		c.h.t.Fatalf("create bootstrap = %d %s", code, data)
	}
	var b struct{ ID string }
	json.Unmarshal(data, &b)
	return b.ID
}

func decode[T any](t *testing.T, data []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return v
}

type fieldErrors struct {
	Code   string
	Errors []wizard.FieldError
}

func TestUnauthenticated(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	if code, _ := c.do("GET", "/api/v1/bootstraps", nil); code != http.StatusUnauthorized {
		t.Fatalf("API without a session = %d, want 401", code)
	}
	res, err := c.http.Get(h.srv.URL + "/b/x/organisation")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("page without a session = %d to %q, want a redirect to /login", res.StatusCode, res.Header.Get("Location"))
	}
	if code, data := c.do("GET", "/api/v1/openapi.json", nil); code != 200 || !json.Valid(data) {
		t.Fatalf("openapi.json = %d", code)
	}
}

func TestCSRFRequired(t *testing.T) {
	h := newHarness(t)
	c := h.client().mustLogin("admin", adminPassword)
	c.csrf = ""
	if code, _ := c.do("POST", "/api/v1/bootstraps", nil); code != http.StatusForbidden {
		t.Fatalf("state change without the CSRF token = %d, want 403", code)
	}
	c.csrf = "forged"
	if code, _ := c.do("POST", "/api/v1/bootstraps", nil); code != http.StatusForbidden {
		t.Fatalf("state change with a wrong CSRF token = %d, want 403", code)
	}
}

func TestLoginRateLimited(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	for i := 0; i < 5; i++ {
		if code := c.login("admin", "wrong-password-here"); code != http.StatusUnauthorized {
			t.Fatalf("wrong password #%d = %d, want 401", i+1, code)
		}
	}
	if code := c.login("admin", adminPassword); code != http.StatusTooManyRequests {
		t.Fatalf("sign-in after 5 failures = %d, want 429", code)
	}
	h.restart()
	if code := c.login("admin", adminPassword); code != http.StatusTooManyRequests {
		t.Fatalf("sign-in after a restart = %d, want 429: the counters are stored", code)
	}
	h.now.set(h.now.get().Add(16 * time.Minute))
	if code := c.login("admin", adminPassword); code != http.StatusNoContent {
		t.Fatalf("sign-in after the window = %d, want 204", code)
	}
}

func TestSessionSurvivesRestart(t *testing.T) {
	h := newHarness(t)
	c := h.client().mustLogin("admin", adminPassword)
	id := c.newBootstrap()
	old, _ := url.Parse(h.restart())
	now, _ := url.Parse(h.srv.URL)
	c.http.Jar.SetCookies(now, c.http.Jar.Cookies(old)) // same browser, new port
	if code, data := c.do("GET", "/api/v1/bootstraps/"+id, nil); code != 200 {
		t.Fatalf("after restart = %d %s", code, data)
	}
	if code, _ := c.do("POST", "/api/v1/logout", nil); code != http.StatusNoContent {
		t.Fatalf("logout = %d", code)
	}
	if code, _ := c.do("GET", "/api/v1/bootstraps/"+id, nil); code != http.StatusUnauthorized {
		t.Fatalf("after logout = %d, want 401", code)
	}
}

func TestOrganisationsIsolated(t *testing.T) {
	h := newHarness(t)
	pw, err := wizard.AddLocalUser(context.Background(), h.store, "globex", "mallory", "", h.now.get())
	if err != nil {
		t.Fatal(err)
	}
	acme := h.client().mustLogin("admin", adminPassword)
	id := acme.newBootstrap()
	if code, data := acme.do("PUT", "/api/v1/bootstraps/"+id+"/credentials", map[string]string{"dns-token": "cf-token-0123456789abcdef"}); code != 200 {
		t.Fatalf("credentials = %d %s", code, data)
	}
	globex := h.client().mustLogin("mallory", pw)
	for _, r := range []struct{ method, path string }{
		{"GET", "/api/v1/bootstraps/" + id},
		{"DELETE", "/api/v1/bootstraps/" + id},
		{"PUT", "/api/v1/bootstraps/" + id + "/steps/organisation"},
		{"PUT", "/api/v1/bootstraps/" + id + "/credentials"},
		{"POST", "/api/v1/bootstraps/" + id + "/credentials/generate"},
		{"GET", "/api/v1/bootstraps/" + id + "/review"},
		{"GET", "/api/v1/bootstraps/" + id + "/export"},
		{"POST", "/api/v1/bootstraps/" + id + "/complete"},
		{"GET", "/b/" + id + "/organisation"},
	} {
		var body any
		if r.method == "PUT" {
			body = map[string]string{}
		}
		if code, _ := globex.do(r.method, r.path, body); code != http.StatusNotFound {
			t.Errorf("globex %s %s = %d, want 404", r.method, r.path, code)
		}
	}
	_, data := globex.do("GET", "/api/v1/bootstraps", nil)
	if list := decode[[]any](t, data); len(list) != 0 {
		t.Errorf("globex lists %d bootstraps, want 0", len(list))
	}
	_, data = globex.do("GET", "/api/v1/audit", nil)
	if strings.Contains(string(data), id) {
		t.Errorf("globex's audit trail shows acme's bootstrap: %s", data)
	}
	code, data := acme.do("GET", "/api/v1/bootstraps/"+id, nil)
	if v := decode[struct{ Credentials []string }](t, data); code != 200 || len(v.Credentials) != 1 {
		t.Fatalf("acme's bootstrap after globex's attempts = %d %s", code, data)
	}
}

func TestStepErrorsInValidateWords(t *testing.T) {
	h := newHarness(t)
	c := h.client().mustLogin("admin", adminPassword)
	id := c.newBootstrap()
	code, data := c.do("PUT", "/api/v1/bootstraps/"+id+"/steps/organisation", map[string]string{"tenant": "Acme", "domain": "acme.example.com"})
	errs := decode[fieldErrors](t, data)
	if code != http.StatusUnprocessableEntity || len(errs.Errors) != 1 || errs.Errors[0].Field != "spec.tenant" {
		t.Fatalf("bad tenant = %d %s; want one error on spec.tenant", code, data)
	}
	if !strings.HasPrefix(errs.Errors[0].Message, `spec.tenant: Invalid value: "Acme": use at most 20 lowercase letters`) {
		t.Fatalf("message %q is not catalyst validate's", errs.Errors[0].Message)
	}
	// Later steps' missing fields are not this step's errors.
	code, data = c.do("PUT", "/api/v1/bootstraps/"+id+"/steps/organisation", map[string]string{"tenant": "acme", "domain": "acme.example.com"})
	if code != 200 {
		t.Fatalf("good organisation step = %d %s", code, data)
	}
	code, data = c.do("PUT", "/api/v1/bootstraps/"+id+"/steps/organisation", map[string]string{"cloud": "hetzner"})
	if code != http.StatusUnprocessableEntity || !strings.Contains(string(data), "spec.cloud is not edited here") {
		t.Fatalf("another step's field = %d %s", code, data)
	}
	if code, _ := c.do("PUT", "/api/v1/bootstraps/"+id+"/steps/nosuch", map[string]string{}); code != 404 {
		t.Fatalf("unknown step = %d", code)
	}
}
