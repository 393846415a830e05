// Command witness is OpenOva's self-hosted lease witness for failover: run it
// at a third site. Protocol: docs/witness-protocol.md.
package main

import (
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/openova-io/openova/internal/lease"
	"github.com/openova-io/openova/internal/witness"
)

func main() {
	if err := newCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "witness:", err)
		os.Exit(1)
	}
}

func newCmd() *cobra.Command {
	cfg := witness.Config{Limits: lease.DefaultLimits}
	cmd := &cobra.Command{
		Use:           "witness",
		Short:         "Serve failover leases (protocol v1) from a durable data directory",
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
			return witness.Run(ctx, cfg, log, nil)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.Listen, "listen", ":8443", "address to serve the protocol, /healthz and /metrics on")
	f.StringVar(&cfg.DataDir, "data-dir", "", "directory for the witness database (durable storage, one witness per directory)")
	f.StringVar(&cfg.CredentialsFile, "credentials-file", "", "YAML file mapping each region to SHA-256 hashes of its bearer tokens")
	f.StringVar(&cfg.TLSCertFile, "tls-cert-file", "", "serve HTTPS with this certificate (PEM)")
	f.StringVar(&cfg.TLSKeyFile, "tls-key-file", "", "private key for --tls-cert-file (PEM)")
	f.DurationVar(&cfg.Limits.MinTTL, "min-ttl", cfg.Limits.MinTTL, "shortest lease TTL accepted")
	f.DurationVar(&cfg.Limits.MaxTTL, "max-ttl", cfg.Limits.MaxTTL, "longest lease TTL accepted")
	f.DurationVar(&cfg.ClockPersistInterval, "clock-persist-interval", time.Second, "how often the witness clock is made durable (bounds the expiry delay a crash adds)")
	f.DurationVar(&cfg.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long to let in-flight requests finish on SIGTERM")
	return cmd
}
