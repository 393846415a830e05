package witness

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/openova-io/openova/internal/lease"
)

// Config is the witness's whole configuration, resolved once by main.
type Config struct {
	Listen          string
	DataDir         string
	CredentialsFile string
	// TLSCertFile and TLSKeyFile serve HTTPS; without them the witness
	// serves plain HTTP and must sit behind a TLS-terminating proxy.
	TLSCertFile string
	TLSKeyFile  string
	Limits      lease.Limits
	// ClockPersistInterval bounds how much witness-clock progress a crash
	// can lose (liveness only: a lost second delays an expiry by a second).
	ClockPersistInterval time.Duration
	ShutdownTimeout      time.Duration
}

// Validate checks the configuration and names the flag to fix.
func (c Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("--listen is empty: give host:port, e.g. :8443"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("--data-dir is empty: give a directory on durable storage"))
	}
	if c.CredentialsFile == "" {
		errs = append(errs, errors.New("--credentials-file is empty: give the file mapping regions to token hashes"))
	}
	if (c.TLSCertFile == "") != (c.TLSKeyFile == "") {
		errs = append(errs, errors.New("--tls-cert-file and --tls-key-file go together"))
	}
	if c.Limits.MinTTL <= 0 || c.Limits.MaxTTL < c.Limits.MinTTL {
		errs = append(errs, fmt.Errorf("--min-ttl %v and --max-ttl %v: need 0 < min <= max", c.Limits.MinTTL, c.Limits.MaxTTL))
	}
	if c.ClockPersistInterval <= 0 {
		errs = append(errs, errors.New("--clock-persist-interval must be positive"))
	}
	return errors.Join(errs...)
}

// Run serves until ctx is cancelled, then shuts down gracefully: in-flight
// requests finish, the clock is made durable, the database is closed.
// ready, if not nil, receives the bound address once the witness listens.
func Run(ctx context.Context, cfg Config, log *slog.Logger, ready func(addr net.Addr)) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	creds, err := LoadCredentials(cfg.CredentialsFile)
	if err != nil {
		return err
	}
	store, err := OpenStore(cfg.DataDir)
	if err != nil {
		return err
	}
	defer store.Close()
	srv, err := New(store, creds, MonotonicSince(), cfg.Limits, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", cfg.Listen, err)
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	if cfg.TLSCertFile == "" {
		log.Warn("serving plain HTTP: bearer tokens cross the network in clear unless a TLS proxy fronts the witness")
	}
	log.Info("witness listening", "addr", ln.Addr().String(), "dataDir", cfg.DataDir)
	if ready != nil {
		ready(ln.Addr())
	}
	served := make(chan error, 1)
	go func() {
		if cfg.TLSCertFile != "" {
			served <- hs.ServeTLS(ln, cfg.TLSCertFile, cfg.TLSKeyFile)
		} else {
			served <- hs.Serve(ln)
		}
	}()
	tick := time.NewTicker(cfg.ClockPersistInterval)
	defer tick.Stop()
	for {
		select {
		case err := <-served:
			return fmt.Errorf("serving: %w", err)
		case <-tick.C:
			if err := srv.PersistClock(); err != nil {
				log.Error("persisting the witness clock failed", "err", err)
			}
		case <-ctx.Done():
			log.Info("shutting down")
			sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
			defer cancel()
			shutdownErr := hs.Shutdown(sctx)
			if err := srv.PersistClock(); err != nil {
				return fmt.Errorf("persisting the witness clock at shutdown: %w", err)
			}
			return shutdownErr
		}
	}
}
