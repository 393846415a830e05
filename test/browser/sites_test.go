package browser

import (
	"context"
	"net"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/chromedp"
)

// A product and its identity provider live on different sites in
// production (catalyst.bank.example, login.bank.example), which changes
// which SameSite cookies a browser sends after the provider's redirects.
// The browser reaches the product under test as <name>.openova.test
// (resolved by Chromium to the product's loopback listener) and the
// provider as 127.0.0.1: two sites, as in production, all on loopback.

// siteURL is srv as the browser of crossSiteBrowser reaches it.
func siteURL(t *testing.T, name string, srv *httptest.Server) string {
	t.Helper()
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + name + ".openova.test:" + port
}

// crossSiteBrowser is browser with *.openova.test resolved to 127.0.0.1
// and plain-HTTP navigations kept plain (no HTTPS upgrade attempt).
func crossSiteBrowser(t *testing.T) context.Context {
	return browser(t,
		chromedp.Flag("host-resolver-rules", "MAP *.openova.test 127.0.0.1"),
		// chromedp's defaults disable these two; the flag is one list.
		chromedp.Flag("disable-features", "Translate,BlinkGenPropertyTrees,HttpsUpgrades,HttpsFirstBalancedModeAutoEnable"))
}
