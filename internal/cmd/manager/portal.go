package manager

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/manager"
	"github.com/openova-io/openova/internal/oidclogin"
	"github.com/openova-io/openova/internal/portal"
	"github.com/openova-io/openova/internal/portal/tracker"
	portalweb "github.com/openova-io/openova/internal/portal/web"
	"github.com/openova-io/openova/internal/wizard/secrets"
)

// portalOptions are the flags of the developer portal, served at /portal/
// beside the dashboard.
type portalOptions struct {
	TeamsFile string // OIDC group → team → namespaces
	Namespace string // where PortalRequests live
}

// enabled: the portal needs its teams, sign-in and the instance repository.
func (p portalOptions) enabled() bool { return p.TeamsFile != "" }

// validate names the flag the portal is missing.
func (p portalOptions) validate(o manager.Options) error {
	if !p.enabled() {
		return nil
	}
	switch {
	case o.OIDC.Issuer == "":
		return fmt.Errorf("--portal-teams-file needs --oidc-issuer: teams sign in to the portal with OIDC")
	case o.GiteaURL == "" || o.Repo == "":
		return fmt.Errorf("--portal-teams-file needs --gitea-url and --repo: requests are pull requests in the instance repository")
	case p.Namespace == "":
		return fmt.Errorf("--portal-namespace must not be empty outside a cluster")
	}
	return nil
}

// newPortal builds the portal's handler: the Service opening requests as
// pull requests, read and written through an uncached client (the request
// page reads a request straight after creating it), and OIDC sign-in whose
// redirect is <external URL>/portal/callback.
func newPortal(ctx context.Context, cfg *rest.Config, o manager.Options, p portalOptions, logger *slog.Logger) (http.Handler, error) {
	data, err := os.ReadFile(p.TeamsFile)
	if err != nil {
		return nil, fmt.Errorf("--portal-teams-file: %w", err)
	}
	teams, err := portal.LoadTeams(data)
	if err != nil {
		return nil, fmt.Errorf("--portal-teams-file %s: %w", p.TeamsFile, err)
	}
	cat, err := manager.LoadCatalog(o.CatalogDir)
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, err
	}
	if err := platformv1.AddToScheme(scheme); err != nil {
		return nil, err
	}
	kube, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	fc, repo, err := instanceRepo(o)
	if err != nil {
		return nil, err
	}
	sealer, external, err := sessionSealer(o)
	if err != nil {
		return nil, err
	}
	redirect := strings.TrimSuffix(o.OIDC.ExternalURL, "/") + "/portal/callback"
	relying, err := oidclogin.NewRelyingParty(ctx, o.OIDC.Issuer, o.OIDC.ClientID, o.OIDC.ClientSecret, redirect, []string{"groups"}, nil)
	if err != nil {
		return nil, fmt.Errorf("--oidc-issuer %s: %w", o.OIDC.Issuer, err)
	}
	svc := &portal.Service{Catalog: cat, Teams: teams, Kube: kube, Namespace: p.Namespace, Forge: fc, Repo: repo, Base: o.Branch}
	return portalweb.New(portalweb.Config{Service: svc, RP: relying, GroupsClaim: o.OIDC.GroupsClaim, Sealer: sealer,
		SecureCookies: external.Scheme == "https", Now: time.Now, Random: rand.Reader, Logger: logger})
}

// setupTracker follows PortalRequests to ready on the leader, when the
// instance repository is known.
func setupTracker(mgr ctrl.Manager, o manager.Options) error {
	if o.GiteaURL == "" {
		return nil
	}
	fc, repo, err := instanceRepo(o)
	if err != nil {
		return err
	}
	return tracker.SetupWithManager(mgr, tracker.Deps{Forge: fc, Repo: repo})
}

// instanceRepo is the Gitea client and the instance repository of the
// flags --gitea-url, --gitea-token-file and --repo.
func instanceRepo(o manager.Options) (*forge.Client, forge.Repo, error) {
	fc, err := forge.New(o.GiteaURL, forge.Credentials{Token: o.GiteaToken}, nil)
	if err != nil {
		return nil, forge.Repo{}, fmt.Errorf("--gitea-url: %w", err)
	}
	owner, name, ok := strings.Cut(o.Repo, "/")
	if !ok || owner == "" || name == "" {
		return nil, forge.Repo{}, fmt.Errorf("--repo %q: want org/name", o.Repo)
	}
	return fc, forge.Repo{Owner: owner, Name: name}, nil
}

// sessionSealer is the sealer of --session-key-file and the parsed
// --external-url, shared by the dashboard's and the portal's sign-in.
func sessionSealer(o manager.Options) (*secrets.Sealer, *url.URL, error) {
	key, err := base64.StdEncoding.DecodeString(o.OIDC.SessionKey)
	if err != nil || len(key) != secrets.KeySize {
		return nil, nil, fmt.Errorf("--session-key-file: want the base64 of %d random bytes (head -c32 /dev/urandom | base64)", secrets.KeySize)
	}
	sealer, err := secrets.New(key, rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	external, err := url.Parse(o.OIDC.ExternalURL)
	if err != nil || external.Host == "" {
		return nil, nil, fmt.Errorf("--external-url %q: want the dashboard's absolute URL", o.OIDC.ExternalURL)
	}
	return sealer, external, nil
}

// podNamespace is the namespace the manager runs in, or "" outside a cluster.
func podNamespace() string {
	b, err := os.ReadFile("/var/run/secrets/kubernetes.io/serviceaccount/namespace")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
