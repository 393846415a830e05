package bootstrap

import (
	"context"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/iostreams"
	"github.com/openova-io/openova/internal/wizard/oidctest"
)

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// TestSingleSignOnFlags: the command reads the client secret from its file,
// signs a person in through a real OpenID Provider, and never prints the
// secret.
func TestSingleSignOnFlags(t *testing.T) {
	t.Setenv(DatabaseEnv, "")
	t.Setenv("CATALYST_WIZARD_KEY", "")
	t.Setenv(AdminPasswordEnv, "")
	const secret = "sso-client-secret-MUST-NOT-LEAK"
	addr := freeAddr(t)
	redirect := "http://" + addr + "/login/oidc/callback"
	op, err := oidctest.Start("wizard", secret, redirect, oidctest.User{Subject: "s-1", Email: "ops@acme.example", EmailVerified: true})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "client-secret")
	os.WriteFile(secretFile, []byte(secret+"\n"), 0o600)

	streams, _, out, errOut := iostreams.Test()
	ctx, stop := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	cmd := NewCmdBootstrap(&factory.Factory{IOStreams: streams}, func(o *Options) error {
		o.Ready = func(a string) { ready <- a }
		o.Stop = ctx
		return Run(o)
	})
	cmd.SetArgs([]string{"--listen", addr, "--data-dir", filepath.Join(dir, "data"), "--org", "acme",
		"--oidc-issuer", op.Issuer, "--oidc-client-id", "wizard", "--oidc-client-secret-file", secretFile,
		"--oidc-redirect-url", redirect, "--oidc-org-by-email-domain", "acme.example=acme"})
	done := make(chan error, 1)
	go func() { done <- cmd.Execute() }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("bootstrap exited: %v\n%s", err, errOut)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	res, err := browser.Get("http://" + addr + "/login/oidc")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := readAll(res)
	if res.StatusCode != 200 || !strings.Contains(page, "ops@acme.example") {
		t.Fatalf("sign-in = %d\n%s", res.StatusCode, page)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if strings.Contains(errOut.String()+out.String(), secret) {
		t.Fatal("the client secret was printed")
	}
}

func TestSingleSignOnFlagsIncomplete(t *testing.T) {
	for _, tc := range []struct {
		o    OIDCOptions
		want string
	}{
		{OIDCOptions{Issuer: "https://issuer.example"}, "needs all of"},
		{OIDCOptions{Issuer: "https://issuer.example", ClientID: "c", ClientSecretFile: "f", RedirectURL: "https://w/login/oidc/callback"}, "--oidc-org-by-email-domain"},
		{OIDCOptions{Issuer: "https://issuer.example", ClientID: "c", ClientSecretFile: "/nonexistent/secret", RedirectURL: "https://w/login/oidc/callback",
			OrgByGroup: map[string]string{"g": "o"}}, "--oidc-client-secret-file"},
	} {
		_, err := tc.o.relyingParty(context.Background())
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want an error naming %q", tc.o, err, tc.want)
		}
	}
	if sso, err := (&OIDCOptions{}).relyingParty(context.Background()); sso != nil || err != nil {
		t.Errorf("no flags = %v, %v; want single sign-on off", sso, err)
	}
}
