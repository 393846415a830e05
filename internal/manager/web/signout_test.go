package web_test

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/client/rp"

	"github.com/openova-io/openova/internal/manager/web"
	"github.com/openova-io/openova/internal/oidclogin"
	"github.com/openova-io/openova/internal/wizard/oidctest"
	"github.com/openova-io/openova/internal/wizard/secrets"
)

var (
	providerFormID = regexp.MustCompile(`name="id" value="([^"]+)"`)
	formCSRF       = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)
)

// fetch follows redirects with c and returns the final response's URL,
// status and body.
func fetch(t *testing.T, c *http.Client, method, u string, form url.Values) (*url.URL, int, string) {
	t.Helper()
	var res *http.Response
	var err error
	if method == http.MethodPost {
		res, err = c.PostForm(u, form)
	} else {
		res, err = c.Get(u)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.Request.URL, res.StatusCode, string(b)
}

// Single sign-out against a real OpenID Provider with a login form and a
// session per browser: the dashboard's Sign out (a form with the CSRF
// token) clears the session and ends the provider's (RP-initiated
// logout), landing on /signedout; the next visit asks for the username
// at the provider again.
// ssoDashboard is a dashboard signing admins in with a real OpenID
// Provider (login form on, /signedout registered); hide turns the
// provider's end_session_endpoint off. signIn visits the explorer and
// says whether the provider asked for the username; it returns the
// page's CSRF token.
func ssoDashboard(t *testing.T, hide bool) (ts *httptest.Server, op *oidctest.Provider, jar http.CookieJar, signIn func() (asked bool, csrf string)) {
	ctx := context.Background()
	var h http.Handler
	ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(ts.Close)
	op, err := oidctest.Start("catalyst", "client-secret", ts.URL+web.CallbackPath,
		oidctest.User{Subject: "u1", Email: "ops@acme.example.com", EmailVerified: true, Groups: []string{"platform-admins"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(op.Close)
	op.LoginForm(true)
	op.AllowPostLogoutRedirect(ts.URL + web.SignedOutPath)
	relying, err := oidclogin.NewRelyingParty(ctx, op.Issuer, "catalyst", "client-secret", ts.URL+web.CallbackPath, []string{"groups"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if hide {
		relying = noEndSession{relying}
	}
	key := make([]byte, secrets.KeySize)
	_, _ = rand.Read(key)
	sealer, err := secrets.New(key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := web.NewOIDCAuth(relying, sealer, "platform-admins", "", false)
	if h, err = web.New(web.Options{Reader: env.Client, Auth: auth}); err != nil {
		t.Fatal(err)
	}
	jar, _ = cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	signIn = func() (asked bool, csrf string) {
		t.Helper()
		_, code, page := fetch(t, browser, http.MethodGet, ts.URL+"/explorer", nil)
		if m := providerFormID.FindStringSubmatch(page); m != nil {
			asked = true
			_, code, page = fetch(t, browser, http.MethodPost, op.Issuer+"/login", url.Values{"id": {m[1]}, "username": {"u1"}})
		}
		m := formCSRF.FindStringSubmatch(page)
		if code != 200 || m == nil || !strings.Contains(page, `action="/logout"`) {
			t.Fatalf("explorer after sign-in = %d, no sign-out form\n%.500s", code, page)
		}
		return asked, m[1]
	}
	return ts, op, jar, signIn
}

// noEndSession is the real relying party with its discovery's
// end_session_endpoint hidden: an issuer without RP-initiated logout.
type noEndSession struct{ rp.RelyingParty }

func (noEndSession) GetEndSessionEndpoint() string { return "" }

func TestOIDCSignOut(t *testing.T) {
	ts, op, jar, signIn := ssoDashboard(t, false)
	browser := &http.Client{Jar: jar}
	if asked, _ := signIn(); !asked {
		t.Fatal("the first sign-in passed without the provider's form")
	}
	asked, csrf := signIn()
	if asked {
		t.Fatal("a signed-in browser was asked again")
	}
	// The sealed session now carries the ID token: it must stay under
	// the 4096 bytes browsers keep per cookie.
	for _, k := range jar.Cookies(mustURL(t, ts.URL)) {
		if k.Name == "catalyst_session" {
			if size := len(k.Name) + len(k.Value); size > 4000 {
				t.Fatalf("the session cookie is %d bytes with its ID token; browsers drop cookies over 4096", size)
			} else {
				t.Logf("session cookie with the ID token: %d bytes", size)
			}
		}
	}
	res, err := browser.Get(ts.URL + "/explorer")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got := res.Header.Get("Content-Security-Policy"); !strings.HasSuffix(got, "form-action 'self' "+op.Issuer) {
		t.Fatalf("CSP %q does not let the sign-out form reach the provider %s", got, op.Issuer)
	}

	// Another site cannot sign the admin out: the form's token is required.
	if _, code, _ := fetch(t, browser, http.MethodPost, ts.URL+"/logout", url.Values{}); code != http.StatusForbidden || len(op.Ended()) != 0 {
		t.Fatalf("sign-out without the form token = %d; provider ended %v", code, op.Ended())
	}
	u, code, page := fetch(t, browser, http.MethodPost, ts.URL+"/logout", url.Values{"csrf": {csrf}})
	if code != 200 || u.Path != web.SignedOutPath || !strings.HasPrefix(ts.URL, "http://"+u.Host) || !strings.Contains(page, `id="signed-out-provider"`) {
		t.Fatalf("sign-out landed on %s (%d)\n%s", u, code, page)
	}
	if strings.Contains(page, `action="/logout"`) {
		t.Error("the signed-out page still offers to sign out")
	}
	if ended := op.Ended(); len(ended) != 1 || ended[0] != "u1 catalyst" {
		t.Fatalf("provider sessions ended: %v, want u1's", ended)
	}
	if asked, _ := signIn(); !asked {
		t.Fatal("after sign-out the provider signed the admin in without asking")
	}
}

// With the admin token, Sign out clears the session cookie (the token
// itself stays valid: it is the Secret's).
func TestTokenSignOut(t *testing.T) {
	h, err := web.New(web.Options{Reader: env.Client, Auth: web.TokenAuth{Token: "admin-token-0123456789"}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	if _, code, _ := fetch(t, browser, http.MethodPost, ts.URL+"/login", url.Values{"token": {"admin-token-0123456789"}}); code != 200 {
		t.Fatalf("sign in = %d", code)
	}
	_, code, page := fetch(t, browser, http.MethodGet, ts.URL+"/explorer", nil)
	m := formCSRF.FindStringSubmatch(page)
	if code != 200 || m == nil || !strings.Contains(page, `action="/logout"`) {
		t.Fatalf("explorer = %d, no sign-out form\n%.500s", code, page)
	}
	if got := jar.Cookies(mustURL(t, ts.URL)); len(got) != 1 {
		t.Fatalf("cookies after sign-in: %v", got)
	}
	u, code, page := fetch(t, browser, http.MethodPost, ts.URL+"/logout", url.Values{"csrf": {m[1]}})
	if code != 200 || u.Path != "/login" || !strings.Contains(page, `name="token"`) {
		t.Fatalf("sign-out landed on %s (%d)", u, code)
	}
	if got := jar.Cookies(mustURL(t, ts.URL)); len(got) != 0 {
		t.Fatalf("the session cookie survived sign-out: %v", got)
	}
	if u, _, _ := fetch(t, browser, http.MethodGet, ts.URL+"/explorer", nil); u.Path != "/login" {
		t.Fatalf("explorer after sign-out reached %s, want the sign-in page", u)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// With an issuer offering no end_session_endpoint, Sign out clears the
// dashboard's session only and says the issuer may still be signed in.
func TestOIDCSignOutWithoutEndSession(t *testing.T) {
	ts, op, jar, signIn := ssoDashboard(t, true)
	browser := &http.Client{Jar: jar}
	_, csrf := signIn()
	u, code, page := fetch(t, browser, http.MethodPost, ts.URL+"/logout", url.Values{"csrf": {csrf}})
	if code != 200 || u.Path != "/logout" || !strings.Contains(page, `id="signed-out-dashboard"`) || strings.Contains(page, `action="/logout"`) {
		t.Fatalf("sign-out = %d at %s\n%s", code, u, page)
	}
	if len(op.Ended()) != 0 {
		t.Fatalf("provider ended %v", op.Ended())
	}
	for _, k := range jar.Cookies(mustURL(t, ts.URL)) { // the provider's, on the same host, stays
		if k.Name == "catalyst_session" {
			t.Fatal("the dashboard's session cookie survived sign-out")
		}
	}
	if asked, _ := signIn(); asked {
		t.Fatal("the provider asked again though its session was never ended")
	}
}
