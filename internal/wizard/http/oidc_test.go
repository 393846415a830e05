package http_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	wizhttp "github.com/openova-io/openova/internal/wizard/http"
	"github.com/openova-io/openova/internal/wizard/oidctest"
)

const clientSecret = "client-secret-NEVER-LOGGED-42"

// ssoHarness is a wizard whose single sign-on is a real OpenID Provider
// (zitadel's op package) running on loopback.
func ssoHarness(t *testing.T, user oidctest.User) (*harness, *oidctest.Provider) {
	h := newHarness(t)
	h.stop()
	h.tokens = &tokenLog{}
	var provider *oidctest.Provider
	h.sso = func(url string) *wizhttp.OIDC {
		var err error
		if provider == nil {
			if provider, err = oidctest.Start("wizard", clientSecret, url+"/login/oidc/callback", user); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(provider.Close)
		}
		provider.SetRedirect(url + "/login/oidc/callback")
		rp, err := wizhttp.NewRelyingParty(context.Background(), provider.Issuer, "wizard", clientSecret, url+"/login/oidc/callback", []string{"groups"}, h.tokens.client())
		if err != nil {
			t.Fatal(err)
		}
		return &wizhttp.OIDC{RP: rp, OrgByEmailDomain: map[string]string{"acme.example": "acme"}, OrgByGroup: map[string]string{"platform-globex": "globex"}}
	}
	h.start()
	return h, provider
}

// browser follows redirects across the wizard and the provider, as a
// person's browser does.
func (h *harness) browser() *client {
	jar, _ := cookiejar.New(nil)
	return &client{h: h, http: &http.Client{Jar: jar}}
}

func (c *client) sso() (int, string) {
	c.h.t.Helper()
	res, err := c.http.Get(c.h.srv.URL + "/login/oidc?next=/")
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

func TestSingleSignOn(t *testing.T) {
	h, op := ssoHarness(t, oidctest.User{Subject: "u-123", Email: "alice@acme.example", EmailVerified: true})

	c := h.browser()
	if code, login := c.do("GET", "/login", nil); code != 200 || !strings.Contains(string(login), `href="/login/oidc?next=`) {
		t.Fatalf("sign-in page offers no single sign-on: %d", code)
	}
	code, page := c.sso()
	if code != 200 || !strings.Contains(page, "alice@acme.example") {
		t.Fatalf("sign-in = %d\n%s", code, page)
	}
	_, data := c.do("GET", "/api/v1/session", nil)
	sess := decode[struct{ User, Org string }](t, data)
	acme, err := h.store.OrgByName(context.Background(), "acme")
	if err != nil || sess.User != "alice@acme.example" || sess.Org != acme.ID {
		t.Fatalf("session = %+v, want alice in acme (%v)", sess, err)
	}
	u, err := h.store.UserBySubject(context.Background(), op.Issuer, "u-123")
	if err != nil || u.OrgID != acme.ID || u.PasswordHash != "" {
		t.Fatalf("account = %+v, %v", u, err)
	}

	// Again, after a restart: the same account, not a second one.
	h.restart()
	before, _ := h.store.CountUsers(context.Background())
	if code, _ := h.browser().sso(); code != 200 {
		t.Fatalf("second sign-in = %d", code)
	}
	if after, _ := h.store.CountUsers(context.Background()); after != before {
		t.Fatalf("users %d -> %d: a second account was made", before, after)
	}

	for _, tc := range []struct {
		name string
		knob func()
		want string
	}{
		{"wrong audience", func() { op.MintForAudience("another-client") }, "audience is not valid"},
		{"expired", op.MintExpired, "token has expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.knob()
			defer op.Reset()
			b := h.browser()
			code, page := b.sso()
			if code != http.StatusUnauthorized || !strings.Contains(page, tc.want) {
				t.Fatalf("sign-in = %d, want 401 %q\n%s", code, tc.want, page)
			}
			if code, _ := b.do("GET", "/api/v1/session", nil); code != http.StatusUnauthorized {
				t.Fatalf("a session was started: %d", code)
			}
		})
	}
}

func TestSingleSignOnRefusals(t *testing.T) {
	t.Run("no organisation", func(t *testing.T) {
		h, _ := ssoHarness(t, oidctest.User{Subject: "u-9", Email: "mallory@elsewhere.example", EmailVerified: true})
		code, page := h.browser().sso()
		if code != http.StatusForbidden || !strings.Contains(page, "in no organisation") {
			t.Fatalf("sign-in = %d\n%s", code, page)
		}
	})
	t.Run("unverified email is not trusted", func(t *testing.T) {
		h, _ := ssoHarness(t, oidctest.User{Subject: "u-8", Email: "eve@acme.example", EmailVerified: false})
		if code, _ := h.browser().sso(); code != http.StatusForbidden {
			t.Fatalf("sign-in with an unverified acme email = %d, want 403", code)
		}
	})
	t.Run("state from another browser", func(t *testing.T) {
		h, _ := ssoHarness(t, oidctest.User{Subject: "u-1", Email: "alice@acme.example", EmailVerified: true})
		b := h.browser()
		b.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		res, err := b.http.Get(h.srv.URL + "/login/oidc")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		res, err = b.http.Get(h.srv.URL + "/login/oidc/callback?code=stolen&state=forged")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), "state does not match") {
			t.Fatalf("forged callback = %d\n%s", res.StatusCode, body)
		}
	})
}

func TestSingleSignOnGroupClaim(t *testing.T) {
	h, _ := ssoHarness(t, oidctest.User{Subject: "g-1", Email: "bob@globex.example", EmailVerified: true, Groups: []string{"everyone", "platform-globex"}})
	c := h.browser()
	if code, page := c.sso(); code != 200 || !strings.Contains(page, "bob@globex.example") {
		t.Fatalf("sign-in = %d\n%s", code, page)
	}
	globex, err := h.store.OrgByName(context.Background(), "globex")
	if err != nil {
		t.Fatalf("organisation globex was not made: %v", err)
	}
	_, data := c.do("GET", "/api/v1/session", nil)
	if sess := decode[struct{ Org string }](t, data); sess.Org != globex.ID {
		t.Fatalf("bob is in %s, want globex %s", sess.Org, globex.ID)
	}
	// Strict isolation holds for SSO users too: acme's bootstrap is not bob's.
	admin := h.client().mustLogin("admin", adminPassword)
	id := admin.newBootstrap()
	if code, _ := c.do("GET", "/api/v1/bootstraps/"+id, nil); code != http.StatusNotFound {
		t.Fatalf("globex user reading acme's bootstrap = %d, want 404", code)
	}
}
