package browser

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	wizhttp "github.com/openova-io/openova/internal/wizard/http"
	"github.com/openova-io/openova/internal/wizard/oidctest"
)

// ssoWizardServer serves the real wizard with single sign-on by a real
// OpenID Provider (login form on, <wizard>/signedout registered as its
// post-logout redirect), on another site than the provider
// (sites_test.go); local users still sign in with a password.
func ssoWizardServer(t *testing.T, user oidctest.User) (string, *oidctest.Provider) {
	t.Helper()
	store, cat, sealer := wizardParts(t)
	// The redirect URLs name the wizard's address, so it listens first.
	srv := httptest.NewUnstartedServer(nil)
	base := siteURL(t, "wizard", srv)
	op, err := oidctest.Start("wizard", "wizard-client-secret", base+"/login/oidc/callback", user)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(op.Close)
	op.LoginForm(true)
	op.AllowPostLogoutRedirect(base + "/signedout")
	rp, err := wizhttp.NewRelyingParty(context.Background(), op.Issuer, "wizard", "wizard-client-secret", base+"/login/oidc/callback", []string{"groups"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	h, err := wizhttp.New(wizhttp.Config{Store: store, Catalog: cat, Sealer: sealer, Now: time.Now, Random: rand.Reader,
		OIDC: &wizhttp.OIDC{RP: rp, OrgByEmailDomain: map[string]string{"acme.example": "acme"}}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return base, op
}

// TestWizardSingleSignOut: in Chromium, a person signs in to the wizard
// by single sign-on through the provider's login form, signs out with
// the header's form, passes through the provider's end_session_endpoint
// and lands on the wizard's /signedout; the wizard has no session left,
// and signing in again shows the provider's form again. A local user's
// sign-out ends the wizard's session only. Real wizard (SQLite), real
// OpenID Provider (zitadel's op), the two on different sites.
func TestWizardSingleSignOut(t *testing.T) {
	user := oidctest.User{Subject: "u-alice", Email: "alice@acme.example", EmailVerified: true}
	base, op := ssoWizardServer(t, user)
	ctx := crossSiteBrowser(t)
	dir := artifacts(t)
	n := 0
	var who, landed, after string
	err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#sso")),
		shot(dir, &n, "wizard-sign-in"),
		chromedp.Click(chromedp.CSS("#sso")),
		chromedp.WaitVisible(chromedp.CSS("#signin")), // the provider's form
		shot(dir, &n, "provider-login"),
		chromedp.SendKeys(chromedp.CSS("#username"), user.Email),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#new-bootstrap")),
		grab(&who, chromedp.Text(chromedp.CSS("header form.who span"))),
		shot(dir, &n, "signed-in"),
		chromedp.Click(chromedp.CSS(`header form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#signed-out-provider")),
		grab(&landed, chromedp.Location()),
		shot(dir, &n, "signed-out"),
	)
	if err != nil {
		t.Fatalf("browser: %v (screenshots in %s)", err, dir)
	}
	if who != user.Email {
		t.Fatalf("the header names %q, want %s", who, user.Email)
	}
	if path, _, _ := strings.Cut(landed, "?"); path != base+"/signedout" { // the provider adds its state
		t.Fatalf("sign-out landed on %s, want the wizard's /signedout", landed)
	}
	if ended := op.Ended(); !slices.Equal(ended, []string{user.Subject + " wizard"}) {
		t.Fatalf("sessions ended at the provider: %v", ended)
	}
	// The wizard's session is gone (its pages send the browser to sign
	// in), and the provider asks for the username again.
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.CSS("#sso")),
		grab(&after, chromedp.Location()),
		chromedp.Click(chromedp.CSS("#sso")),
		chromedp.WaitVisible(chromedp.CSS("#signin")),
		shot(dir, &n, "provider-asks-again"),
		chromedp.SendKeys(chromedp.CSS("#username"), user.Email),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#new-bootstrap")),
		shot(dir, &n, "signed-in-again"),
	)
	if err != nil {
		t.Fatalf("browser: %v (screenshots in %s)", err, dir)
	}
	if after != base+"/login?next=%2F" && after != base+"/login?next=/" {
		t.Fatalf("after sign-out the wizard's home went to %s, want its sign-in page", after)
	}

	// A local user's sign-out stays with the wizard: back to its sign-in
	// page, the provider's sessions untouched.
	local := crossSiteBrowser(t)
	err = chromedp.Do(local,
		login(base),
		chromedp.Click(chromedp.CSS(`header form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#sign-in")),
		grab(&landed, chromedp.Location()),
		shot(dir, &n, "local-signed-out"),
	)
	if err != nil {
		t.Fatalf("browser: %v (screenshots in %s)", err, dir)
	}
	if landed != base+"/login" || len(op.Ended()) != 1 {
		t.Fatalf("local sign-out landed on %s; provider ended %v", landed, op.Ended())
	}
}

// TestWizardSignInStaysOnSite: a crafted sign-in link whose next is a
// path to a browser but another site once it drops the tab or reads \ as
// / ("/\t/evil…", "/\evil…") lands the person on the wizard's home, by
// single sign-on and by password alike; Chromium followed both to the
// other site before oidclogin.SafeNext refused them.
func TestWizardSignInStaysOnSite(t *testing.T) {
	user := oidctest.User{Subject: "u-alice", Email: "alice@acme.example", EmailVerified: true}
	base, _ := ssoWizardServer(t, user)
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`<!doctype html><title>elsewhere</title><p id="elsewhere">another site</p>`))
	}))
	t.Cleanup(evil.Close)
	elsewhere := strings.TrimPrefix(siteURL(t, "evil", evil), "http://")
	dir := artifacts(t)
	n := 0
	for _, next := range []string{"/\t/" + elsewhere + "/", "/\\" + elsewhere + "/"} {
		var sso, local string
		ctx := crossSiteBrowser(t)
		err := chromedp.Do(ctx,
			chromedp.Navigate(base+"/login/oidc?next="+url.QueryEscape(next)),
			chromedp.WaitVisible(chromedp.CSS("#signin")),
			chromedp.SendKeys(chromedp.CSS("#username"), user.Email),
			chromedp.Click(chromedp.CSS("#signin")),
			chromedp.WaitVisible(chromedp.CSS("#new-bootstrap")),
			grab(&sso, chromedp.Location()),
			shot(dir, &n, "sso-stays"),
			chromedp.Navigate(base+"/login?next="+url.QueryEscape(next)),
			chromedp.WaitVisible(chromedp.CSS("#sign-in")),
			chromedp.SendKeys(chromedp.CSS("#username"), "admin"),
			chromedp.SendKeys(chromedp.CSS("#password"), password),
			chromedp.Click(chromedp.CSS("#sign-in")),
			chromedp.WaitVisible(chromedp.CSS("#new-bootstrap")),
			grab(&local, chromedp.Location()),
			shot(dir, &n, "password-stays"),
		)
		if err != nil {
			t.Fatalf("next %q: %v (screenshots in %s)", next, err, dir)
		}
		if sso != base+"/" || local != base+"/" {
			t.Fatalf("next %q: single sign-on landed on %s, password sign-in on %s; want the wizard's home", next, sso, local)
		}
	}
}
