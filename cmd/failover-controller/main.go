// Command failover-controller decides, with the witness, which of two
// regions is active and switches the region's traffic and data layers
// accordingly. One runs per cluster; see docs/failover.md.
package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"sigs.k8s.io/controller-runtime/pkg/client/config"

	"github.com/openova-io/openova/internal/failover/controller"
	"github.com/openova-io/openova/internal/failover/fsm"
)

func main() {
	if err := newCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "failover-controller:", err)
		os.Exit(1)
	}
}

func newCmd() *cobra.Command {
	var o controller.ManagerOptions
	var level slog.Level
	var kubeconfig string
	cmd := &cobra.Command{
		Use:           "failover-controller",
		Short:         "Run this region's side of a FailoverGroup against the witness",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			if kubeconfig != "" {
				// controller-runtime reads the file named by KUBECONFIG.
				if err := os.Setenv("KUBECONFIG", kubeconfig); err != nil {
					return err
				}
			}
			cfg, err := config.GetConfig()
			if err != nil {
				return fmt.Errorf("kubeconfig: %w (in a cluster the service account is used; outside, pass --kubeconfig)", err)
			}
			return controller.RunManager(ctx, cfg, o, log)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Region, "region", "", "this region's name (the FailoverGroup's spec.region; the holder name at the witness)")
	f.StringVar(&o.PeerRegion, "peer-region", "", "the other region (spec.peerRegion)")
	f.StringVar(&o.WitnessURL, "witness-url", "", "base URL of the witness")
	f.StringVar(&o.LeaseName, "lease-name", "", "lease name at the witness (spec.witness.leaseName)")
	f.StringVar(&o.WitnessTokenFile, "witness-token-file", "", "file holding this region's witness bearer token")
	f.DurationVar(&o.Timing.RenewInterval, "renew-interval", 10*time.Second, "how often the holder renews (spec.timing.renewInterval overrides)")
	f.DurationVar(&o.Timing.TTL, "ttl", 30*time.Second, "lease duration (spec.timing.ttl overrides)")
	f.DurationVar(&o.Timing.RetryTimeout, "retry-timeout", 10*time.Second, "how long one witness request may take (spec.timing.retryTimeout overrides)")
	f.DurationVar(&o.Timing.FenceMargin, "fence-margin", fsm.DefaultFenceMargin, "time kept before the lease could pass to the peer for the fence to take effect")
	f.StringVar(&o.Listen, "listen", ":8080", "address serving /healthz, /ready, /status and /metrics")
	f.BoolVar(&o.LeaderElect, "leader-elect", false, "elect one leader among replicas with a Lease")
	f.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader election Lease")
	f.StringVar(&o.LeaderElectionID, "leader-election-id", "failover-controller", "name of the leader election Lease")
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig file; in-cluster configuration when empty")
	f.StringVar(&o.PeerKubeconfig, "peer-kubeconfig", "", "kubeconfig of the peer region's API server, read-only, to promote CNPG with the peer's demotion token in a planned switchover")
	f.StringVar(&o.LagPrometheusURL, "lag-prometheus-url", "", "Prometheus API to read the CNPG replication lag from (cnpg_pg_replication_lag) for the RPO guard; without it a FailoverGroup with CNPG clusters has unknown lag")
	f.TextVar(&level, "log-level", slog.LevelInfo, "debug, info, warn or error")
	return cmd
}
