// Package manager is `catalyst manager`: the lifecycle manager, run in the
// cluster (or against --kubeconfig), writing platform health, support
// status and drift into PlatformInstance status and Prometheus.
package manager

import (
	"context"
	"fmt"
	"log/slog"
	"os/signal"
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
		run = manager.Run
	}
	var o manager.Options
	var kubeconfig, kubecontext string
	cmd := &cobra.Command{
		Use:   "manager",
		Short: "Run the lifecycle manager: platform health, support status and drift",
		Long: `Run the lifecycle manager in the cluster. It reads each PlatformInstance
(platform.openova.io), the Blueprints available and the Flux HelmReleases and
Kustomizations they name, and writes health, support status (supported,
best-effort, unsupported) and drift to the instance's status and to
Prometheus gauges (openova_platform_health, openova_component_*).

Inside a cluster it uses its service account; outside, pass --kubeconfig.`,
		Example: `  catalyst manager --leader-elect
  catalyst manager --kubeconfig ~/.kube/acme --leader-elect --leader-election-namespace catalyst`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := restConfig(kubeconfig, kubecontext)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			ctrl.SetLogger(logr.FromSlogHandler(slog.NewJSONHandler(f.IOStreams.ErrOut, nil)))
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
	return cmd
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
