package http_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/client/rp"

	"github.com/openova-io/openova/internal/wizard"
	wizhttp "github.com/openova-io/openova/internal/wizard/http"
	"github.com/openova-io/openova/internal/wizard/oidctest"
)

// tokenLog records the ID tokens in the provider's token responses, as
// the relying party receives them: what must never leak afterwards.
type tokenLog struct {
	mu  sync.Mutex
	ids []string
}

func (l *tokenLog) client() *http.Client { return &http.Client{Transport: l} }

func (l *tokenLog) RoundTrip(r *http.Request) (*http.Response, error) {
	res, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || r.Method != http.MethodPost {
		return res, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if json.Unmarshal(body, &tok) == nil && tok.IDToken != "" {
		l.mu.Lock()
		l.ids = append(l.ids, tok.IDToken)
		l.mu.Unlock()
	}
	return res, nil
}

func (l *tokenLog) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ids...)
}

var providerFormID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// ssoByForm signs in as a person does when the provider shows its login
// form (typing the username), or passes straight through while the
// browser still has a session there; it says whether the form was shown.
func (c *client) ssoByForm(op *oidctest.Provider, username string) (sawForm bool) {
	c.h.t.Helper()
	code, body := c.sso()
	if m := providerFormID.FindStringSubmatch(body); m != nil {
		sawForm = true
		res, err := c.http.PostForm(op.Issuer+"/login", url.Values{"id": {m[1]}, "username": {username}})
		if err != nil {
			c.h.t.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		code, body = res.StatusCode, string(data)
	}
	if code != http.StatusOK || !strings.Contains(body, username) {
		c.h.t.Fatalf("single sign-on = %d\n%s", code, body)
	}
	_, data := c.do("GET", "/api/v1/session", nil)
	c.csrf = decode[struct{ CSRF string }](c.h.t, data).CSRF
	return sawForm
}

// storedSession is the browser's session as the store holds it.
func (c *client) storedSession() *wizard.Session {
	c.h.t.Helper()
	u, _ := url.Parse(c.h.srv.URL)
	for _, k := range c.http.Jar.Cookies(u) {
		if k.Name == wizhttp.CookieName {
			sum := sha256.Sum256([]byte(k.Value))
			s, err := c.h.store.Session(context.Background(), hex.EncodeToString(sum[:]), c.h.now.get())
			if err != nil {
				c.h.t.Fatal(err)
			}
			return s
		}
	}
	c.h.t.Fatal("the browser has no wizard session cookie")
	return nil
}

// TestSingleSignOut: against a real OpenID Provider with a login form and
// a session per browser, an SSO user's sign-out by the page's form ends
// the wizard's session and, through the provider's end_session_endpoint,
// the provider's (the next sign-in asks again), landing on /signedout;
// the API variant answers the end-session URL instead of redirecting. A
// local user's sign-out stays local. The ID token is kept sealed: never
// in the database file, the log or an API answer other than that URL.
func TestSingleSignOut(t *testing.T) {
	h, op := ssoHarness(t, oidctest.User{Subject: "u-123", Email: "alice@acme.example", EmailVerified: true})
	op.LoginForm(true)
	op.AllowPostLogoutRedirect(h.srv.URL + "/signedout")
	c := h.browser()
	if !c.ssoByForm(op, "alice@acme.example") {
		t.Fatal("the first sign-in passed without the provider's form")
	}
	sealed := c.storedSession().IDToken
	if len(sealed) == 0 {
		t.Fatal("the single sign-on session keeps no ID token")
	}
	res, err := c.http.Get(h.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("Content-Security-Policy"); !strings.HasSuffix(got, "form-action 'self' "+op.Issuer) {
		t.Fatalf("CSP %q does not let the sign-out form reach the provider %s", got, op.Issuer)
	}

	// Sign out by the page's form: wizard, then provider, then /signedout.
	res, err = c.http.PostForm(h.srv.URL+"/logout", url.Values{"csrf": {c.csrf}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || res.Request.URL.Path != "/signedout" || !strings.HasPrefix(h.srv.URL, "http://"+res.Request.URL.Host) ||
		!strings.Contains(string(page), `id="signed-out-provider"`) {
		t.Fatalf("sign-out landed on %s (%d)\n%s", res.Request.URL, res.StatusCode, page)
	}
	if ended := op.Ended(); len(ended) != 1 || ended[0] != "u-123 wizard" {
		t.Fatalf("provider sessions ended: %v, want alice's", ended)
	}
	if c.signedIn() {
		t.Fatal("the wizard session survived sign-out")
	}
	if data, _ := os.ReadFile(h.dbPath()); bytes.Contains(data, sealed) {
		t.Fatal("the ended session's sealed ID token is still in the database file")
	}
	if !c.ssoByForm(op, "alice@acme.example") {
		t.Fatal("after sign-out the provider signed alice in without asking")
	}

	// The API variant answers the end-session URL for the client to open.
	code, data := c.do("POST", "/api/v1/logout", nil)
	end := decode[struct{ EndSessionURL string }](t, data).EndSessionURL
	u, err := url.Parse(end)
	if code != http.StatusOK || err != nil || !strings.HasPrefix(end, op.Issuer+"/") ||
		u.Query().Get("post_logout_redirect_uri") != h.srv.URL+"/signedout" || u.Query().Get("id_token_hint") == "" {
		t.Fatalf("API sign-out = %d %s", code, data)
	}
	if c.signedIn() {
		t.Fatal("the wizard session survived the API sign-out")
	}
	res, err = c.http.Get(end)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.Request.URL.Path != "/signedout" || len(op.Ended()) != 2 {
		t.Fatalf("opening the end-session URL landed on %s; provider ended %v", res.Request.URL, op.Ended())
	}
	if !c.ssoByForm(op, "alice@acme.example") {
		t.Fatal("after the API sign-out the provider signed alice in without asking")
	}

	// A local user's sign-out stays with the wizard.
	admin := h.client().mustLogin("admin", adminPassword)
	code, _ = admin.form("/logout", url.Values{"csrf": {admin.csrf}})
	if code != http.StatusSeeOther || admin.signedIn() || len(op.Ended()) != 2 {
		t.Fatalf("local sign-out = %d; provider ended %v", code, op.Ended())
	}
	if code, data := admin.mustLogin("admin", adminPassword).do("POST", "/api/v1/logout", nil); code != http.StatusNoContent {
		t.Fatalf("local API sign-out = %d %s", code, data)
	}

	db, _ := os.ReadFile(h.dbPath())
	tokens := h.tokens.all()
	if len(tokens) != 3 {
		t.Fatalf("%d ID tokens issued, want 3", len(tokens))
	}
	for i, tok := range tokens {
		switch {
		case bytes.Contains(db, []byte(tok)):
			t.Errorf("ID token %d is in the database file in plain text", i)
		case strings.Contains(h.logs.String(), tok):
			t.Errorf("ID token %d is in the log", i)
		case i != 1 && bytes.Contains(h.bodies.Bytes(), []byte(tok)):
			t.Errorf("ID token %d is in an API answer", i)
		}
	}
	// The second one is in exactly one answer: its own end-session URL
	// (query-escaped there; a JWT has nothing to escape).
	if n := bytes.Count(h.bodies.Bytes(), []byte(tokens[1])); n != 1 {
		t.Errorf("the API-signed-out ID token is in %d answers, want only its end-session URL", n)
	}
}

// TestSignedOutPageIsStatic: /signedout needs no session and checks no
// state; without single sign-on the forms may post to the wizard alone.
func TestSignedOutPageIsStatic(t *testing.T) {
	h := newHarness(t)
	res, err := h.client().http.Get(h.srv.URL + "/signedout?state=anything")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), `id="signed-out-provider"`) || !strings.Contains(string(page), `href="/login"`) {
		t.Fatalf("/signedout = %d\n%s", res.StatusCode, page)
	}
	if got := res.Header.Get("Content-Security-Policy"); !strings.HasSuffix(got, "form-action 'self'") {
		t.Fatalf("CSP without single sign-on = %q, want form-action 'self' alone", got)
	}
}

// noEndSession is the real relying party with its discovery's
// end_session_endpoint hidden: an issuer without RP-initiated logout
// (zitadel's op always offers it).
type noEndSession struct{ rp.RelyingParty }

func (noEndSession) GetEndSessionEndpoint() string { return "" }

// TestSignOutWithoutEndSession: with an issuer offering no
// end_session_endpoint, an SSO user's sign-out ends the wizard's session
// only, and the page says the issuer may still have them signed in.
func TestSignOutWithoutEndSession(t *testing.T) {
	h, op := ssoHarness(t, oidctest.User{Subject: "u-7", Email: "alice@acme.example", EmailVerified: true})
	h.stop()
	withEndSession := h.sso
	h.sso = func(url string) *wizhttp.OIDC { o := withEndSession(url); o.RP = noEndSession{o.RP}; return o }
	h.start()
	op.LoginForm(true)
	c := h.browser()
	c.ssoByForm(op, "alice@acme.example")
	res, err := c.http.PostForm(h.srv.URL+"/logout", url.Values{"csrf": {c.csrf}})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), `id="signed-out-wizard"`) || strings.Contains(string(page), `action="/logout"`) {
		t.Fatalf("sign-out = %d at %s\n%s", res.StatusCode, res.Request.URL, page)
	}
	if got := res.Header.Get("Content-Security-Policy"); !strings.HasSuffix(got, "form-action 'self'") {
		t.Fatalf("CSP = %q, want form-action 'self' alone", got)
	}
	if c.signedIn() || len(op.Ended()) != 0 {
		t.Fatalf("after sign-out: signed in %v, provider ended %v", c.signedIn(), op.Ended())
	}
	c.ssoByForm(op, "alice@acme.example")
	if code, data := c.do("POST", "/api/v1/logout", nil); code != http.StatusNoContent || c.signedIn() {
		t.Fatalf("API sign-out = %d %s", code, data)
	}
}
