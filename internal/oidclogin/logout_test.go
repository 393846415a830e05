package oidclogin_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/zitadel/oidc/v3/pkg/client/rp"

	"github.com/openova-io/openova/internal/oidclogin"
	"github.com/openova-io/openova/internal/wizard/oidctest"
)

// browserGet follows redirects with c and returns the final URL and body.
func browserGet(t *testing.T, c *http.Client, u string) (*url.URL, int, string) {
	t.Helper()
	res, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.Request.URL, res.StatusCode, string(body)
}

var formID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// signInByForm signs in as a browser does when the provider shows its
// login form (typing username), or passes straight through when the
// browser still has a session there; it says which happened.
func signInByForm(t *testing.T, h *relyingParty, c *http.Client, username string) (sawForm bool, idToken string) {
	t.Helper()
	_, code, body := browserGet(t, c, h.srv.URL+"/start?next=/")
	if m := formID.FindStringSubmatch(body); m != nil {
		sawForm = true
		res, err := c.PostForm(h.op.Issuer+"/login", url.Values{"id": {m[1]}, "username": {username}})
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		data, _ := io.ReadAll(res.Body)
		code, body = res.StatusCode, string(data)
	}
	if code != 200 || !strings.Contains(body, `"IDToken":"ey`) {
		t.Fatalf("sign-in = %d %s", code, body)
	}
	return sawForm, regexp.MustCompile(`"IDToken":"([^"]+)"`).FindStringSubmatch(body)[1]
}

// Sign-out ends the session at the provider too (RP-initiated logout,
// against zitadel's op): the browser is sent to its end_session_endpoint
// with the ID token as hint and comes back to the registered
// post_logout_redirect_uri with the state; the provider's session is
// gone, so the next sign-in asks for the username again.
func TestLogoutEndsTheProviderSession(t *testing.T) {
	h := start(t, oidctest.User{Subject: "u-9", Email: "di@bank.example", EmailVerified: true}, "")
	h.op.LoginForm(true)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}

	sawForm, token := signInByForm(t, h, browser, "di@bank.example")
	if !sawForm {
		t.Fatal("the first sign-in passed without the provider's form")
	}
	if again, _ := signInByForm(t, h, browser, ""); again {
		t.Fatal("the provider kept no session: a second sign-in asked again (single sign-on expected)")
	}

	// The post-logout URL must be registered with the provider.
	if u, _, body := browserGet(t, browser, h.srv.URL+"/logout?token="+url.QueryEscape(token)); u.Path == "/signedout" || len(h.op.Ended()) != 0 {
		t.Fatalf("an unregistered post_logout_redirect_uri was accepted: %s %s", u, body)
	}
	// A forged hint is refused.
	if u, _, _ := browserGet(t, browser, h.srv.URL+"/logout?token=not-a-token"); u.Path == "/signedout" || len(h.op.Ended()) != 0 {
		t.Fatalf("a forged id_token_hint ended a session: %s", u)
	}

	h.op.AllowPostLogoutRedirect(h.srv.URL + "/signedout")
	u, code, body := browserGet(t, browser, h.srv.URL+"/logout?token="+url.QueryEscape(token))
	if code != 200 || u.Path != "/signedout" || !regexp.MustCompile(`state=[A-Za-z0-9_-]{22}$`).MatchString(body) {
		t.Fatalf("after sign-out the browser is at %s: %d %s", u, code, body)
	}
	if got := h.op.Ended(); !slices.Equal(got, []string{"u-9 portal"}) {
		t.Fatalf("sessions ended at the provider = %v", got)
	}
	if again, _ := signInByForm(t, h, browser, "di@bank.example"); !again {
		t.Fatal("after sign-out the provider still signed the browser in without asking")
	}
}

// noEndSession is the real relying party with its discovery's
// end_session_endpoint hidden: a provider that does not offer
// RP-initiated logout (zitadel's op always does).
type noEndSession struct{ rp.RelyingParty }

func (noEndSession) GetEndSessionEndpoint() string { return "" }

func TestLogoutWithoutEndSessionEndpoint(t *testing.T) {
	h := start(t, oidctest.User{Subject: "u-10"}, "")
	h.flow.RP = noEndSession{h.flow.RP}
	code, a := h.signIn("/", nil)
	if code != 200 || a.ID.IDToken == "" {
		t.Fatalf("sign-in = %d %+v", code, a)
	}
	if _, code, _ := browserGet(t, http.DefaultClient, h.srv.URL+"/logout?token="+url.QueryEscape(a.ID.IDToken)); code != http.StatusNotImplemented {
		t.Fatalf("without an end_session_endpoint Logout must report false and write nothing; got %d", code)
	}
}

func TestEndSessionURL(t *testing.T) {
	got, err := oidclogin.EndSessionURL("https://id.example/realms/acme/logout?ui_locales=de", "portal", "eyJ.x.y", "https://c.example/portal/signedout", "s1")
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(got)
	q := u.Query()
	if u.Host != "id.example" || q.Get("ui_locales") != "de" || q.Get("id_token_hint") != "eyJ.x.y" || q.Get("client_id") != "portal" ||
		q.Get("post_logout_redirect_uri") != "https://c.example/portal/signedout" || q.Get("state") != "s1" {
		t.Fatalf("end-session URL = %s", got)
	}
	if _, err := oidclogin.EndSessionURL("javascript:alert(1)", "portal", "", "", ""); err == nil || !strings.Contains(err.Error(), "end_session_endpoint") {
		t.Fatalf("a non-http endpoint: %v", err)
	}
}
