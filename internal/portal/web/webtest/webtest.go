// Package webtest starts the whole developer portal for tests, every part
// real and on loopback: the portalweb handler, portal.Service against
// kube-apiserver (internal/testenv), a fresh Gitea (internal/giteatest)
// holding the instance repository seeded by internal/portal/portaltest,
// and an OpenID Provider (internal/wizard/oidctest) that signs in one
// person at a time.
package webtest

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"code.gitea.io/sdk/gitea"
	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/giteatest"
	"github.com/openova-io/openova/internal/oidclogin"
	"github.com/openova-io/openova/internal/portal"
	"github.com/openova-io/openova/internal/portal/portaltest"
	portalweb "github.com/openova-io/openova/internal/portal/web"
	"github.com/openova-io/openova/internal/testenv"
	"github.com/openova-io/openova/internal/wizard/oidctest"
	"github.com/openova-io/openova/internal/wizard/secrets"
)

// ClientSecret is the OIDC client's secret; tests assert it never shows.
const ClientSecret = "portal-client-secret-NEVER-SHOWN-31"

// Teams of every portal started here: team-a owns two namespaces,
// team-b one.
var Teams = portal.Teams{
	{Name: "team-a", Groups: []string{"team-a"}, Namespaces: []string{"team-a-dev", "team-a-prod"}},
	{Name: "team-b", Groups: []string{"team-b"}, Namespaces: []string{"team-b-dev"}},
}

// Portal is a running portal and its real dependencies.
type Portal struct {
	URL       string // the site; the portal is at URL + "/portal/"
	OP        *oidctest.Provider
	Gitea     *giteatest.Server
	Forge     *forge.Client
	Repo      forge.Repo
	Service   *portal.Service
	Kube      client.Client
	Namespace string // where PortalRequests live
}

var seq atomic.Int64

// Start serves a portal whose provider signs in user (change it with
// p.OP.SetUser); everything stops when the test ends.
func Start(t *testing.T, env *testenv.Env, user oidctest.User) *Portal {
	t.Helper()
	ctx := context.Background()
	cat := portaltest.Catalog(t)
	ctrllog.SetLogger(logr.Discard()) // the client's own log lines are noise here
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, platformv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	// A client that can watch: the request page's events follow the
	// PortalRequest by a watch (catalyst manager wires the same).
	kube, err := client.NewWithWatch(env.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	p := &Portal{Kube: kube, Namespace: fmt.Sprintf("portal-%d-%d", time.Now().UnixNano()%1e6, seq.Add(1))}
	for _, ns := range []string{p.Namespace, "team-a-dev", "team-a-prod", "team-b-dev"} {
		if err := env.EnsureNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}

	// The instance repository as catalyst seed leaves it (portaltest), with
	// this package's teams and a namespace of PortalRequests per test.
	p.Gitea = giteatest.Start(t)
	p.Repo = portaltest.Seed(t, p.Gitea, cat, "two-region.yaml")
	p.Forge = p.Gitea.Client(t)
	p.waitNotEmpty(t)
	p.Service = portaltest.Service(t, p.Gitea, kube, cat, p.Repo)
	p.Service.Teams, p.Service.Namespace = Teams, p.Namespace

	// The site's URL is needed before the handler (the redirect URL), so
	// the server starts first and gets its handler after.
	var h atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	p.URL = srv.URL
	redirect := srv.URL + "/portal/callback"
	if p.OP, err = oidctest.Start("portal", ClientSecret, redirect, user); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.OP.Close)
	// Sign-out ends the provider's session and comes back here.
	p.OP.AllowPostLogoutRedirect(srv.URL + "/portal/signedout")
	rp, err := oidclogin.NewRelyingParty(ctx, p.OP.Issuer, "portal", ClientSecret, redirect, []string{"groups"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	key := make([]byte, secrets.KeySize)
	rand.Read(key)
	sealer, err := secrets.New(key, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	handler, err := portalweb.New(portalweb.Config{Service: p.Service, RP: rp, Sealer: sealer, Now: time.Now, Random: rand.Reader})
	if err != nil {
		t.Fatal(err)
	}
	h.Store(handler)
	return p
}

// waitNotEmpty waits for Gitea to take the first push in: until then it
// answers 404 to a listing of the repository's pull requests.
func (p *Portal) waitNotEmpty(t *testing.T) {
	t.Helper()
	api := p.api(t)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		r, _, err := api.GetRepo(p.Repo.Owner, p.Repo.Name)
		if err == nil && !r.Empty {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Gitea still calls %s empty after the first push (%v)", p.Repo, err)
		}
	}
}

func (p *Portal) api(t *testing.T) *gitea.Client {
	t.Helper()
	api, err := gitea.NewClient(p.Gitea.URL, gitea.SetToken(p.Gitea.AdminToken), gitea.SetGiteaVersion(""))
	if err != nil {
		t.Fatal(err)
	}
	return api
}

// PullRequests lists the instance repository's pull requests in any
// state, as Gitea's API reports them.
func (p *Portal) PullRequests(t *testing.T) []*gitea.PullRequest {
	t.Helper()
	prs, _, err := p.api(t).ListRepoPullRequests(p.Repo.Owner, p.Repo.Name, gitea.ListPullRequestsOptions{State: gitea.StateAll})
	if err != nil {
		t.Fatalf("list pull requests of %s: %v", p.Repo, err)
	}
	return prs
}

// Requests lists the PortalRequests the portal made.
func (p *Portal) Requests(t *testing.T) []platformv1.PortalRequest {
	t.Helper()
	var l platformv1.PortalRequestList
	if err := p.Kube.List(context.Background(), &l, client.InNamespace(p.Namespace)); err != nil {
		t.Fatalf("list PortalRequests in %s: %v", p.Namespace, err)
	}
	return l.Items
}

// ChangedFiles are the files a pull request's branch adds or changes
// against main.
func (p *Portal) ChangedFiles(t *testing.T, branch string) map[string][]byte {
	t.Helper()
	ctx := context.Background()
	head, _, err := p.Forge.Snapshot(ctx, p.Repo, branch)
	if err != nil {
		t.Fatal(err)
	}
	base, _, err := p.Forge.Snapshot(ctx, p.Repo, "main")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for path, data := range head {
		if old, ok := base[path]; !ok || string(old) != string(data) {
			out[path] = data
		}
	}
	return out
}
