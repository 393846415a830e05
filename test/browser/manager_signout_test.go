package browser

import (
	"context"
	"crypto/rand"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/manager/web"
	"github.com/openova-io/openova/internal/oidclogin"
	"github.com/openova-io/openova/internal/testenv"
	"github.com/openova-io/openova/internal/wizard/oidctest"
	"github.com/openova-io/openova/internal/wizard/secrets"
)

// TestManagerSingleSignOut: in Chromium, a platform admin signs in to
// the lifecycle manager's dashboard through the provider's login form,
// presses Sign out, passes through the provider's end_session_endpoint
// and lands on the dashboard's /signedout; the dashboard sends the
// browser to sign in again, and the provider asks for the username
// again. Real kube-apiserver (the dashboard's reader), dashboard with
// OIDCAuth as `catalyst manager` wires it, real OpenID Provider (zitadel's
// op), the dashboard and the provider on different sites.
func TestManagerSingleSignOut(t *testing.T) {
	env, stop, err := testenv.StartSecond()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	if err := platformv1.AddToScheme(env.Scheme); err != nil {
		t.Fatal(err)
	}
	user := oidctest.User{Subject: "u-ops", Email: "ops@acme.example", EmailVerified: true, Groups: []string{"platform-admins"}}
	// The redirect URLs name the dashboard's address, so it listens first.
	srv := httptest.NewUnstartedServer(nil)
	base := siteURL(t, "manager", srv)
	op, err := oidctest.Start("catalyst", "manager-client-secret", base+web.CallbackPath, user)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(op.Close)
	op.LoginForm(true)
	op.AllowPostLogoutRedirect(base + web.SignedOutPath)
	relying, err := oidclogin.NewRelyingParty(context.Background(), op.Issuer, "catalyst", "manager-client-secret", base+web.CallbackPath, []string{"groups"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, secrets.KeySize)
	rand.Read(key)
	sealer, err := secrets.New(key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	auth := web.NewOIDCAuth(relying, sealer, "platform-admins", "", false)
	h, err := web.New(web.Options{Reader: env.Client, Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)

	ctx := crossSiteBrowser(t)
	dir := artifacts(t)
	n := 0
	var landed, offered, after string
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"/explorer"),
		chromedp.WaitVisible(chromedp.CSS("#signin")), // the provider's form
		shot(dir, &n, "provider-login"),
		chromedp.SendKeys(chromedp.CSS("#username"), user.Email),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#sign-out")),
		shot(dir, &n, "signed-in"),
		chromedp.Click(chromedp.CSS("#sign-out")),
		chromedp.WaitVisible(chromedp.CSS("#signed-out-provider")),
		grab(&landed, chromedp.Location()),
		grab(&offered, chromedp.Evaluate[string](`String(document.querySelectorAll("#sign-out").length)`)),
		shot(dir, &n, "signed-out"),
	)
	if err != nil {
		t.Fatalf("browser: %v (screenshots in %s)", err, dir)
	}
	if path, _, _ := strings.Cut(landed, "?"); path != base+web.SignedOutPath { // the provider adds its state
		t.Fatalf("sign-out landed on %s, want the dashboard's %s", landed, web.SignedOutPath)
	}
	if offered != "0" {
		t.Fatal("the signed-out page still offers to sign out")
	}
	if ended := op.Ended(); !slices.Equal(ended, []string{user.Subject + " catalyst"}) {
		t.Fatalf("sessions ended at the provider: %v", ended)
	}
	// The dashboard's session is gone: its pages send the browser to the
	// provider, which asks for the username again.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`main a[href="/login"]`)),
		chromedp.WaitVisible(chromedp.CSS("#signin")),
		grab(&after, chromedp.Location()),
		shot(dir, &n, "provider-asks-again"),
		chromedp.SendKeys(chromedp.CSS("#username"), user.Email),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#sign-out")),
		shot(dir, &n, "signed-in-again"),
	)
	if err != nil {
		t.Fatalf("browser: %v (screenshots in %s)", err, dir)
	}
	if !strings.HasPrefix(after, op.Issuer+"/") {
		t.Fatalf("signing in again showed %s, want the provider's login page", after)
	}
}
