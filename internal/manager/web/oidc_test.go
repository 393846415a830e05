package web_test

import (
	"context"
	"crypto/rand"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/manager/web"
	"github.com/openova-io/openova/internal/oidclogin"
	"github.com/openova-io/openova/internal/wizard/oidctest"
	"github.com/openova-io/openova/internal/wizard/secrets"
)

// Signing in with a real OpenID Provider (in-process, loopback): a member
// of the admin group reaches the dashboard and gets a CSRF token for its
// forms; someone outside the group gets no session.
func TestOIDCAdminGroup(t *testing.T) {
	ctx := context.Background()
	var h http.Handler
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	defer ts.Close()
	op, err := oidctest.Start("catalyst", "client-secret", ts.URL+web.CallbackPath,
		oidctest.User{Subject: "u1", Email: "ops@acme.example.com", EmailVerified: true, Groups: []string{"platform-admins", "staff"}})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	relying, err := oidclogin.NewRelyingParty(ctx, op.Issuer, "catalyst", "client-secret", ts.URL+web.CallbackPath, []string{"groups"}, nil)
	if err != nil {
		t.Fatal(err)
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

	browse := func(path string) (int, string) {
		t.Helper()
		jar, _ := cookiejar.New(nil)
		resp, err := (&http.Client{Jar: jar}).Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, page := browse("/explorer")
	if code != 200 || !strings.Contains(page, "Install and upgrade graph") {
		t.Fatalf("admin after sign-in: %d\n%.300s", code, page)
	}
	op.SetUser(oidctest.User{Subject: "u2", Email: "dev@acme.example.com", EmailVerified: true, Groups: []string{"staff"}})
	if code, page := browse("/"); code != http.StatusForbidden || !strings.Contains(page, "platform-admins") {
		t.Errorf("non-admin: %d %s", code, page)
	}
}
