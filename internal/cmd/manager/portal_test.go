package manager

import (
	"context"
	"encoding/base64"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/giteatest"
	"github.com/openova-io/openova/internal/manager"
	"github.com/openova-io/openova/internal/portal/portaltest"
	"github.com/openova-io/openova/internal/testenv"
	"github.com/openova-io/openova/internal/wizard/oidctest"
)

func TestPortalFlagsNameWhatIsMissing(t *testing.T) {
	full := manager.Options{GiteaURL: "http://gitea", Repo: "acme/acme-private", OIDC: manager.OIDC{Issuer: "https://id"}}
	for name, c := range map[string]struct {
		o    manager.Options
		p    portalOptions
		want string
	}{
		"no issuer":    {manager.Options{GiteaURL: "http://gitea", Repo: "a/b"}, portalOptions{TeamsFile: "t", Namespace: "n"}, "--oidc-issuer"},
		"no gitea":     {manager.Options{OIDC: manager.OIDC{Issuer: "https://id"}}, portalOptions{TeamsFile: "t", Namespace: "n"}, "--gitea-url"},
		"no namespace": {full, portalOptions{TeamsFile: "t"}, "--portal-namespace"},
		"complete":     {full, portalOptions{TeamsFile: "t", Namespace: "catalyst"}, ""},
		"disabled":     {manager.Options{}, portalOptions{}, ""},
	} {
		err := c.p.validate(c.o)
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
}

// catalyst manager with --portal-teams-file, wired as in production against
// kube-apiserver, a real Gitea and a real OpenID Provider: /portal/ sends a
// stranger to the provider, and a request opened through the portal's
// Service is followed by the leader's tracker once a human merges it.
func TestRunServesPortalAndTracksRequests(t *testing.T) {
	env, stop, err := testenv.StartSecond()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gitea := giteatest.Start(t)
	cat := portaltest.Catalog(t)
	repo := portaltest.Seed(t, gitea, cat, "one-region.yaml")
	if err := env.EnsureNamespace(ctx, portaltest.RequestsNamespace); err != nil {
		t.Fatal(err)
	}
	ui := freeAddr(t)
	external := "http://" + ui
	op, err := oidctest.Start("catalyst", "s3cret", external+"/portal/callback", oidctest.User{Subject: "alice", Groups: []string{"payments-devs"}})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	teams := filepath.Join(t.TempDir(), "teams.yaml")
	if err := os.WriteFile(teams, []byte(portaltest.TeamsYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	o := manager.Options{MetricsAddr: "0", HealthAddr: "0", UIAddr: ui, GiteaURL: gitea.URL, GiteaToken: gitea.AdminToken,
		Repo: repo.String(), Branch: "main", OIDC: manager.OIDC{Issuer: op.Issuer, ClientID: "catalyst", ClientSecret: "s3cret",
			AdminGroup: "platform-admins", GroupsClaim: "groups", ExternalURL: external,
			SessionKey: base64.StdEncoding.EncodeToString(make([]byte, 32))}}
	po := portalOptions{TeamsFile: teams, Namespace: portaltest.RequestsNamespace}
	if err := po.validate(o); err != nil {
		t.Fatal(err)
	}
	if o.Portal, err = newPortal(ctx, env.Config, o, po, slog.Default()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- run(ctx, env.Config, o) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()

	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	loc := redirectOf(t, noFollow, external+"/portal/login")
	if !strings.HasPrefix(loc, op.Issuer) {
		t.Fatalf("/portal/login sends the browser to %q, want the provider %s", loc, op.Issuer)
	}

	svc := portaltest.Service(t, gitea, env.Client, cat, repo)
	tier1 := portaltest.Tier1()
	tier1.Values["networkProfile"] = "namespace" // one region: no peer
	req, err := svc.Submit(ctx, tier1)
	if err != nil {
		t.Fatal(err)
	}
	if req.Status.Phase != platformv1.PhaseOpen || req.Status.PullRequest == nil {
		t.Fatalf("submitted request: %+v", req.Status)
	}
	gitea.Merge(t, repo, req.Status.PullRequest.Number)
	key := types.NamespacedName{Namespace: req.Namespace, Name: req.Name}
	deadline := time.Now().Add(90 * time.Second)
	for {
		var got platformv1.PortalRequest
		if err := env.Client.Get(ctx, key, &got); err != nil {
			t.Fatal(err)
		}
		if got.Status.Phase == platformv1.PhaseMerged && got.Status.PullRequest.MergeCommit != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the manager's tracker did not see the merge: %+v", got.Status)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// redirectOf waits for the UI to listen and returns the Location of url.
func redirectOf(t *testing.T, c *http.Client, url string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode/100 == 3 {
				return resp.Header.Get("Location")
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: %v", url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
