package oidclogin_test

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/oidclogin"
	"github.com/openova-io/openova/internal/wizard/oidctest"
	"github.com/openova-io/openova/internal/wizard/secrets"
)

const secret = "rp-secret-NEVER-SHOWN-77"

// relyingParty is a minimal site using Flow against a real OpenID Provider
// (zitadel's op package, in-process on loopback): /start redirects,
// /cb/callback answers the identity as JSON or 401 with the refusal.
type relyingParty struct {
	t    *testing.T
	srv  *httptest.Server
	op   *oidctest.Provider
	mu   sync.Mutex
	now  time.Time
	flow *oidclogin.Flow
}

func (h *relyingParty) clock() time.Time { h.mu.Lock(); defer h.mu.Unlock(); return h.now }

func (h *relyingParty) advance(d time.Duration) { h.mu.Lock(); h.now = h.now.Add(d); h.mu.Unlock() }

func start(t *testing.T, user oidctest.User, claim string) *relyingParty {
	t.Helper()
	key := make([]byte, secrets.KeySize)
	rand.Read(key)
	sealer, err := secrets.New(key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	h := &relyingParty{t: t, now: time.Now()}
	mux := http.NewServeMux()
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	redirect := h.srv.URL + "/cb/callback"
	if h.op, err = oidctest.Start("portal", secret, redirect, user); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.op.Close)
	r, err := oidclogin.NewRelyingParty(context.Background(), h.op.Issuer, "portal", secret, redirect, []string{"groups"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h.flow = &oidclogin.Flow{RP: r, Sealer: sealer, Now: h.clock, Random: rand.Reader, Cookie: "test_oidc", Path: "/cb", GroupsClaim: claim, Home: "/home"}
	mux.HandleFunc("GET /start", func(w http.ResponseWriter, r *http.Request) {
		if err := h.flow.Start(w, r, r.URL.Query().Get("next")); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("GET /cb/callback", func(w http.ResponseWriter, r *http.Request) {
		id, next, err := h.flow.Finish(w, r)
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			json.NewEncoder(w).Encode(map[string]string{"error": err.Error(), "next": next})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"id": id, "next": next})
	})
	mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		ok, err := h.flow.Logout(w, r, r.URL.Query().Get("token"), h.flow.PostLogoutURL("/signedout"))
		if err != nil || !ok {
			http.Error(w, fmt.Sprintf("no single sign-out (%v)", err), http.StatusNotImplemented)
		}
	})
	mux.HandleFunc("GET /signedout", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "signed out; state=%s", r.URL.Query().Get("state"))
	})
	return h
}

type answer struct {
	ID    oidclogin.Identity
	Next  string
	Error string
}

// signIn follows the redirects a browser follows; pause runs between the
// issuer's answer and the callback.
func (h *relyingParty) signIn(next string, pause func()) (int, answer) {
	h.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	if pause != nil {
		c.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
			if strings.HasPrefix(req.URL.Path, "/cb/") {
				pause()
			}
			return nil
		}
	}
	res, err := c.Get(h.srv.URL + "/start?next=" + next)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if strings.Contains(string(body), secret) {
		h.t.Fatalf("the client secret reached the page: %s", body)
	}
	var a answer
	if err := json.Unmarshal(body, &a); err != nil {
		h.t.Fatalf("callback answered %d %s", res.StatusCode, body)
	}
	return res.StatusCode, a
}

func TestSignInCarriesVerifiedClaimsAndGroups(t *testing.T) {
	h := start(t, oidctest.User{Subject: "u-1", Email: "ana@bank.example", EmailVerified: true, Groups: []string{"team-b", "team-a", "team-a"}}, "")
	code, a := h.signIn("/portal/requests", nil)
	if code != 200 {
		t.Fatalf("sign-in = %d %s", code, a.Error)
	}
	want := oidclogin.Identity{Issuer: h.op.Issuer, Subject: "u-1", Email: "ana@bank.example", EmailVerified: true, Groups: []string{"team-a", "team-b"}}
	if a.ID.Issuer != want.Issuer || a.ID.Subject != want.Subject || a.ID.Email != want.Email || !a.ID.EmailVerified || !slices.Equal(a.ID.Groups, want.Groups) {
		t.Fatalf("identity = %+v, want %+v", a.ID, want)
	}
	if a.Next != "/portal/requests" {
		t.Fatalf("next = %q", a.Next)
	}
}

func TestGroupsFromAnotherClaim(t *testing.T) {
	// The provider puts groups in "groups"; a flow reading "roles" sees none.
	h := start(t, oidctest.User{Subject: "u-2", Email: "bo@bank.example", Groups: []string{"team-a"}}, "roles")
	if code, a := h.signIn("/", nil); code != 200 || len(a.ID.Groups) != 0 || a.ID.EmailVerified {
		t.Fatalf("sign-in = %d %+v, want no groups and an unverified email", code, a)
	}
}

func TestSignInRefusals(t *testing.T) {
	h := start(t, oidctest.User{Subject: "u-3", Email: "cy@bank.example", EmailVerified: true}, "")
	for _, tc := range []struct {
		name  string
		knob  func()
		pause func()
		want  string
	}{
		{"wrong audience", func() { h.op.MintForAudience("another-client") }, nil, "audience is not valid"},
		{"expired ID token", h.op.MintExpired, nil, "token has expired"},
		{"slow sign-in", func() {}, func() { h.advance(oidclogin.MaxAge + time.Second) }, "took over 10 minutes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.knob()
			defer h.op.Reset()
			code, a := h.signIn("/portal/", tc.pause)
			if code != http.StatusUnauthorized || !strings.Contains(a.Error, tc.want) || a.ID.Subject != "" {
				t.Fatalf("sign-in = %d %+v, want 401 %q", code, a, tc.want)
			}
		})
	}
}

func TestCallbackWithoutItsBrowser(t *testing.T) {
	h := start(t, oidctest.User{Subject: "u-4"}, "")
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(path string) (int, string) {
		res, err := c.Get(h.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if code, body := get("/cb/callback?code=x&state=y"); code != 401 || !strings.Contains(body, "started elsewhere") || !strings.Contains(body, `"next":"/home"`) {
		t.Fatalf("callback with no flow cookie = %d %s", code, body)
	}
	if code, _ := get("/start?next=//evil.example/"); code != http.StatusFound {
		t.Fatalf("start = %d", code)
	}
	if code, body := get("/cb/callback?code=x&state=forged"); code != 401 || !strings.Contains(body, "state does not match") || !strings.Contains(body, `"next":"/home"`) {
		t.Fatalf("forged state = %d %s (next must fall back home)", code, body)
	}
	if code, body := get("/cb/callback?error=access_denied"); code != 401 || !strings.Contains(body, `answered \"access_denied\"`) {
		t.Fatalf("provider error = %d %s", code, body)
	}
}

func TestGroups(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want []string
	}{
		{[]any{"b", "a", 3, "", "a"}, []string{"a", "b"}},
		{"solo", []string{"solo"}},
		{[]string{"x"}, []string{"x"}},
		{map[string]any{"a": 1}, nil},
		{nil, nil},
	} {
		if got := oidclogin.Groups(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("Groups(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/portal/x": "/portal/x", "": "/h", "https://evil.example": "/h", "//evil.example": "/h", "/\\evil.example": "/h",
		"/\t/evil.example": "/h", "/\n/evil.example": "/h", "/a\\b": "/h", "/\x7f/x": "/h", "/users?page=2": "/users?page=2",
	} {
		if got := oidclogin.SafeNext(in, "/h"); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", in, got, want)
		}
	}
}
