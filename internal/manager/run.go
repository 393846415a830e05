package manager

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmanager "sigs.k8s.io/controller-runtime/pkg/manager"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	openova "github.com/openova-io/openova"
	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/forge"
)

// Options of the lifecycle manager process.
type Options struct {
	// MetricsAddr serves /metrics; "0" disables it.
	MetricsAddr string
	// HealthAddr serves /healthz and /readyz; "0" disables it.
	HealthAddr string
	// LeaderElect elects one active replica with a Lease.
	LeaderElect             bool
	LeaderElectionNamespace string
	LeaderElectionID        string

	// UIAddr serves the admin dashboard, and Portal at /portal/; "" or "0"
	// disables it.
	UIAddr string
	// Portal is the portal's handler (package portalweb); nil leaves
	// /portal/ unserved.
	Portal http.Handler
	// AdminToken admits platform admins to the dashboard; empty refuses
	// every dashboard request. Never logged.
	AdminToken string
	// CatalogDir is a catalog checkout to publish and upgrade from; empty
	// is the catalog built into this binary.
	CatalogDir string
	// PublishBlueprints server-side applies the catalog's Blueprints at
	// start (on the leader).
	PublishBlueprints bool
	// GiteaURL, GiteaToken and Repo (org/name) name the instance
	// repository day-2 pull requests are opened in, against Branch; an
	// empty GiteaURL makes the dashboard read-only. The token is never logged.
	GiteaURL, GiteaToken, Repo, Branch string

	// OIDC signs platform admins in to the dashboard instead of the admin
	// token when Issuer is set.
	OIDC OIDC
}

// OIDC is the dashboard's single sign-on: members of AdminGroup are
// platform admins. ExternalURL is how browsers reach the dashboard (the
// redirect URL is ExternalURL + /login/callback); SessionKey (base64 of 32
// bytes, shared by every replica) seals the session cookie. Secrets are
// never logged.
type OIDC struct {
	Issuer, ClientID, ClientSecret string
	AdminGroup, GroupsClaim        string
	ExternalURL, SessionKey        string
}

const inClusterNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// Validate reports a bad option naming its flag.
func (o Options) Validate() error {
	if o.LeaderElect && o.LeaderElectionNamespace == "" {
		if _, err := os.Stat(inClusterNamespaceFile); err != nil {
			return errors.New("--leader-election-namespace is required outside a cluster when --leader-elect is set")
		}
	}
	if o.LeaderElect && o.LeaderElectionID == "" {
		return errors.New("--leader-election-id must not be empty")
	}
	if o.OIDC.Issuer != "" && (o.OIDC.ClientID == "" || o.OIDC.ClientSecret == "" || o.OIDC.ExternalURL == "" || o.OIDC.SessionKey == "") {
		return errors.New("--oidc-issuer needs --oidc-client-id, the client secret ($CATALYST_OIDC_CLIENT_SECRET), --external-url and --session-key-file")
	}
	if o.GiteaURL != "" {
		if owner, name, ok := strings.Cut(o.Repo, "/"); !ok || owner == "" || name == "" || strings.Contains(name, "/") {
			return fmt.Errorf("--repo %q: want the instance repository as org/name", o.Repo)
		}
		if o.GiteaToken == "" {
			return errors.New("--gitea-url is set but no token: pass --gitea-token-file (a mounted Secret) or $CATALYST_GITEA_TOKEN")
		}
		if o.Branch == "" {
			return errors.New("--branch must not be empty")
		}
	}
	return nil
}

// The gauges live in controller-runtime's registry, served on MetricsAddr;
// registered once per process.
var processMetrics = sync.OnceValue(func() *Metrics { return NewMetrics(ctrlmetrics.Registry) })

// Run runs the PlatformInstance reconciler (and the Blueprint publisher)
// until ctx ends; the dashboard is added by the command (internal/cmd/manager).
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	mgr, _, err := Setup(cfg, o)
	if err != nil {
		return err
	}
	return mgr.Start(ctx)
}

// Setup builds the controller manager with the reconciler and, with
// PublishBlueprints, a leader-only publisher of the catalog's Blueprints;
// it returns the catalog loaded.
func Setup(cfg *rest.Config, o Options) (ctrl.Manager, *catalog.Catalog, error) {
	if err := o.Validate(); err != nil {
		return nil, nil, err
	}
	cat, err := LoadCatalog(o.CatalogDir)
	if err != nil {
		return nil, nil, err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return nil, nil, err
	}
	if err := platformv1.AddToScheme(scheme); err != nil {
		return nil, nil, err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:  o.HealthAddr,
		Cache:                   CacheOptions(),
		LeaderElection:          o.LeaderElect,
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		LeaderElectionID:        o.LeaderElectionID,
		// Release the Lease on shutdown so a rolling update hands over at once.
		LeaderElectionReleaseOnCancel: true,
		// Controller names are unique within one manager; the process-wide
		// check would refuse a second Setup in the same process (tests run
		// the manager more than once).
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return nil, nil, err
	}
	// Ready once the caches (PlatformInstances, Blueprints, Flux objects) synced.
	if err := mgr.AddReadyzCheck("caches", func(req *http.Request) error {
		if !mgr.GetCache().WaitForCacheSync(req.Context()) {
			return errors.New("caches not synced")
		}
		return nil
	}); err != nil {
		return nil, nil, err
	}
	r := &Reconciler{Client: mgr.GetClient(), Metrics: processMetrics(), Now: time.Now}
	if err := r.SetupWithManager(mgr); err != nil {
		return nil, nil, fmt.Errorf("PlatformInstance controller: %w", err)
	}
	if o.PublishBlueprints {
		err := mgr.Add(ctrlmanager.RunnableFunc(func(ctx context.Context) error {
			n, err := PublishBlueprints(ctx, mgr.GetClient(), cat)
			if err != nil {
				return err
			}
			ctrl.LoggerFrom(ctx).Info("published the catalog's Blueprints", "count", n)
			return nil
		}))
		if err != nil {
			return nil, nil, err
		}
	}
	return mgr, cat, nil
}

// LoadCatalog loads a catalog checkout, or the embedded catalog for "".
func LoadCatalog(dir string) (*catalog.Catalog, error) {
	var cat *catalog.Catalog
	var err error
	if dir == "" {
		cat, err = catalog.Load(openova.Catalog)
	} else {
		cat, err = catalog.LoadDir(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("--catalog-dir: %w", err)
	}
	return cat, nil
}

// NewActions are the day-2 actions on o's instance repository; nil (a
// read-only dashboard) when o names no Gitea.
func NewActions(o Options, cat *catalog.Catalog, c client.Client) (*Actions, error) {
	if o.GiteaURL == "" {
		return nil, nil
	}
	fc, err := forge.New(o.GiteaURL, forge.Credentials{Token: o.GiteaToken}, nil)
	if err != nil {
		return nil, fmt.Errorf("--gitea-url: %w", err)
	}
	owner, name, _ := strings.Cut(o.Repo, "/")
	return &Actions{Forge: fc, Repo: forge.Repo{Owner: owner, Name: name}, Base: o.Branch, Catalog: cat, Client: c,
		Author: forge.Signature{Name: "Catalyst lifecycle manager", Email: "catalyst-manager@openova.io"}}, nil
}
