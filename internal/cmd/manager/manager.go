// Package manager is `catalyst manager`: the lifecycle manager, run in the
// cluster (or against --kubeconfig), writing platform health, support
// status and drift into PlatformInstance status and Prometheus.
package manager

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/manager"
)

// RunFunc runs the manager; tests replace it.
type RunFunc func(ctx context.Context, cfg *rest.Config, o manager.Options) error

// NewCmdManager returns `catalyst manager`; run nil means manager.Run.
func NewCmdManager(f *factory.Factory, run RunFunc) *cobra.Command {
	if run == nil {
		run = defaultRun
	}
	var o manager.Options
	var po portalOptions
	var kubeconfig, kubecontext, giteaTokenFile, adminTokenFile, oidcSecretFile, sessionKeyFile string
	cmd := &cobra.Command{
		Use:   "manager",
		Short: "Run the lifecycle manager: platform health, support, drift, upgrades and its admin dashboard",
		Long: `Run the lifecycle manager in the cluster. It reads each PlatformInstance
(platform.openova.io), the Blueprints available and the Flux HelmReleases and
Kustomizations they name, and writes health, support status (supported,
best-effort, unsupported) and drift to the instance's status and to
Prometheus gauges (openova_platform_health, openova_component_*).

It publishes the catalog's Blueprints (announcing newer versions) and serves
the admin dashboard on --ui-addr: health, versions, upgrades with their
changelog, the workflow explorer, and Upgrade / Enable pack / Add cluster,
each opened as a pull request in the instance repository (--gitea-url,
--repo). It never approves or merges.

Inside a cluster it uses its service account; outside, pass --kubeconfig.`,
		Example: `  catalyst manager --leader-elect
  catalyst manager --kubeconfig ~/.kube/acme --leader-elect --leader-election-namespace catalyst
  catalyst manager --gitea-url https://gitea.acme.example.com --repo acme/instance \
    --gitea-token-file /var/run/secrets/gitea/token --admin-token-file /var/run/secrets/admin/admin-token`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := restConfig(kubeconfig, kubecontext)
			if err != nil {
				return err
			}
			if o.GiteaToken, err = secret(giteaTokenFile, "--gitea-token-file", "CATALYST_GITEA_TOKEN"); err != nil {
				return err
			}
			if o.AdminToken, err = secret(adminTokenFile, "--admin-token-file", "CATALYST_ADMIN_TOKEN"); err != nil {
				return err
			}
			if o.OIDC.ClientSecret, err = secret(oidcSecretFile, "--oidc-client-secret-file", "CATALYST_OIDC_CLIENT_SECRET"); err != nil {
				return err
			}
			if o.OIDC.SessionKey, err = secret(sessionKeyFile, "--session-key-file", "CATALYST_SESSION_KEY"); err != nil {
				return err
			}
			if err := po.validate(o); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			logger := slog.New(slog.NewJSONHandler(f.IOStreams.ErrOut, nil))
			ctrl.SetLogger(logr.FromSlogHandler(logger.Handler()))
			if po.enabled() {
				if o.Portal, err = newPortal(ctx, cfg, o, po, logger); err != nil {
					return err
				}
			}
			return run(ctx, cfg, o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file (default: in-cluster, then $KUBECONFIG or ~/.kube/config)")
	fl.StringVar(&kubecontext, "context", "", "kubeconfig context to use")
	fl.StringVar(&o.MetricsAddr, "metrics-addr", ":8080", `address serving Prometheus /metrics ("0" disables)`)
	fl.StringVar(&o.HealthAddr, "health-addr", ":8081", `address serving /healthz and /readyz ("0" disables)`)
	fl.BoolVar(&o.LeaderElect, "leader-elect", false, "elect one active replica with a Lease")
	fl.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the Lease (default: the pod's namespace)")
	fl.StringVar(&o.LeaderElectionID, "leader-election-id", "catalyst-manager", "name of the Lease")
	fl.StringVar(&o.UIAddr, "ui-addr", ":8090", `address serving the admin dashboard at / and the portal at /portal/ ("0" disables)`)
	fl.StringVar(&adminTokenFile, "admin-token-file", "", "file holding the dashboard's admin token (default: $CATALYST_ADMIN_TOKEN; none refuses every dashboard request)")
	fl.StringVar(&o.CatalogDir, "catalog-dir", "", "catalog checkout to publish Blueprints and upgrade from (default: the catalog built into this binary)")
	fl.BoolVar(&o.PublishBlueprints, "publish-blueprints", true, "server-side apply the catalog's Blueprints at start")
	fl.StringVar(&o.GiteaURL, "gitea-url", "", "Gitea holding the instance repository; empty makes the dashboard read-only")
	fl.StringVar(&giteaTokenFile, "gitea-token-file", "", "file holding the Gitea token (default: $CATALYST_GITEA_TOKEN)")
	fl.StringVar(&o.Repo, "repo", "", "instance repository as org/name")
	fl.StringVar(&o.Branch, "branch", "main", "protected branch Flux follows; pull requests target it")
	env := func(name, def string) string {
		if v := os.Getenv(name); v != "" {
			return v
		}
		return def
	}
	fl.StringVar(&o.OIDC.Issuer, "oidc-issuer", env("CATALYST_OIDC_ISSUER", ""), "OpenID Connect issuer signing platform admins in to the dashboard (instead of the admin token)")
	fl.StringVar(&o.OIDC.ClientID, "oidc-client-id", env("CATALYST_OIDC_CLIENT_ID", ""), "OIDC client ID")
	fl.StringVar(&oidcSecretFile, "oidc-client-secret-file", "", "file holding the OIDC client secret (default: $CATALYST_OIDC_CLIENT_SECRET)")
	fl.StringVar(&o.OIDC.AdminGroup, "oidc-admin-group", env("CATALYST_OIDC_ADMIN_GROUP", "platform-admins"), "group whose members are platform admins")
	fl.StringVar(&o.OIDC.GroupsClaim, "oidc-groups-claim", env("CATALYST_OIDC_GROUPS_CLAIM", "groups"), "ID token claim listing the person's groups")
	fl.StringVar(&o.OIDC.ExternalURL, "external-url", env("CATALYST_EXTERNAL_URL", ""), "URL browsers reach the dashboard at; the OIDC redirect URL is it + /login/callback")
	fl.StringVar(&sessionKeyFile, "session-key-file", "", "file holding base64 of 32 random bytes sealing sessions, the same on every replica (default: $CATALYST_SESSION_KEY)")
	fl.StringVar(&po.TeamsFile, "portal-teams-file", "", "teams file (OIDC groups → team → namespaces) enabling the developer portal at /portal/; needs --oidc-issuer, --gitea-url and --repo")
	fl.StringVar(&po.Namespace, "portal-namespace", env("CATALYST_PORTAL_NAMESPACE", podNamespace()), "namespace holding PortalRequests (default: the pod's namespace)")
	return cmd
}

// defaultRun is the manager with its dashboard (serve.go).
var defaultRun RunFunc = run

// secret reads a token from a file (a mounted Secret), else from env; the
// value is never printed.
func secret(file, flag, env string) (string, error) {
	if file == "" {
		return strings.TrimSpace(os.Getenv(env)), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", flag, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func restConfig(kubeconfig, kubecontext string) (*rest.Config, error) {
	if kubeconfig == "" && kubecontext == "" {
		if cfg, err := rest.InClusterConfig(); err == nil {
			return cfg, nil
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: kubecontext}).ClientConfig()
	if err != nil && kubeconfig != "" {
		return nil, fmt.Errorf("--kubeconfig %s: %w", kubeconfig, err)
	}
	if err != nil {
		return nil, fmt.Errorf("load kubeconfig: %w (pass --kubeconfig, or run inside the cluster)", err)
	}
	return cfg, nil
}
