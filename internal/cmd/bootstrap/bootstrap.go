// Package bootstrap is `catalyst bootstrap`: serve the bootstrap wizard
// (web UI and JSON API) on its own state, SQLite in a per-user data
// directory by default or PostgreSQL for a hosted, replicated wizard.
package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/iostreams"
	"github.com/openova-io/openova/internal/wizard"
	wizhttp "github.com/openova-io/openova/internal/wizard/http"
	"github.com/openova-io/openova/internal/wizard/postgres"
	"github.com/openova-io/openova/internal/wizard/secrets"
	"github.com/openova-io/openova/internal/wizard/sqlite"
)

// DatabaseEnv names a PostgreSQL connection string; unset means SQLite.
const DatabaseEnv = "CATALYST_WIZARD_DATABASE"

// AdminPasswordEnv sets the first admin's password instead of generating it.
const AdminPasswordEnv = "CATALYST_WIZARD_ADMIN_PASSWORD"

// Options are the flags of bootstrap.
type Options struct {
	IO            *iostreams.IOStreams
	Listen        string
	DataDir       string
	Org           string
	CatalogDir    string
	TLSCert       string
	TLSKey        string
	SecureCookies bool
	// Tofu is the tofu binary of managed apply; empty turns it off. When
	// the flag is not given, a tofu on PATH is used (TofuGiven false).
	Tofu      string
	TofuGiven bool
	// ApplyLease is how long a dead wizard's apply waits before another
	// process (a replica, or this one restarted) resumes it.
	ApplyLease time.Duration
	// ApplyConfig, when set, is a directory whose .tf files managed apply
	// runs beside the generated variables.tf instead of the generated
	// terraform/: a rehearsal of the orchestration (hidden flag).
	ApplyConfig string
	OIDC        OIDCOptions
	// Ready, when set, receives the bound address once serving (tests).
	Ready func(addr string)
	// Stop, when set, ends the server instead of a signal (tests).
	Stop context.Context
}

// DefaultDataDir is $XDG_DATA_HOME/catalyst/bootstrap, or
// ~/.local/share/catalyst/bootstrap.
func DefaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "catalyst", "bootstrap")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return filepath.Join(".", "catalyst-bootstrap")
	}
	return filepath.Join(home, ".local", "share", "catalyst", "bootstrap")
}

// NewCmdBootstrap returns the command; runF replaces the run in tests.
func NewCmdBootstrap(f *factory.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "bootstrap",
		Short: "Serve the bootstrap wizard: choose, review and export (or apply) a new platform",
		Long: "Serve the bootstrap wizard's web UI and JSON API (/api/v1, OpenAPI at /api/v1/openapi.json).\n" +
			"State is a SQLite file in --data-dir, or PostgreSQL when $" + DatabaseEnv + " is set.\n" +
			"On first start an admin user is created and its password printed once.\n" +
			"Credentials are sealed with AES-GCM under <data-dir>/wizard.key (or $" + secrets.KeyEnv + ").",
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.TofuGiven = c.Flags().Changed("tofu")
			if runF != nil {
				return runF(opts)
			}
			return Run(opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Listen, "listen", "127.0.0.1:8080", "address to serve on")
	fl.StringVar(&opts.DataDir, "data-dir", DefaultDataDir(), "directory of the wizard's database and key")
	fl.StringVar(&opts.Org, "org", "default", "organisation of the first admin user")
	fl.StringVar(&opts.CatalogDir, "catalog", "", "catalog checkout to use instead of the embedded catalog")
	fl.StringVar(&opts.TLSCert, "tls-cert", "", "serve https with this certificate (PEM)")
	fl.StringVar(&opts.TLSKey, "tls-key", "", "private key of --tls-cert (PEM)")
	fl.BoolVar(&opts.SecureCookies, "secure-cookies", false, "mark cookies Secure (implied by --tls-cert; set it behind a TLS reverse proxy)")
	addOIDCFlags(fl, &opts.OIDC)
	fl.StringVar(&opts.Tofu, "tofu", "", "tofu binary for managed apply (work directories in <data-dir>/apply); default: tofu on PATH; \"\" turns managed apply off")
	fl.DurationVar(&opts.ApplyLease, "apply-lease", 30*time.Second, "how long an apply of a wizard that died stays locked before another wizard process resumes it")
	fl.StringVar(&opts.ApplyConfig, "apply-config", "", "rehearse managed apply: run this directory's .tf files with the generated variables.tf instead of the generated terraform/")
	_ = fl.MarkHidden("apply-config")
	cmd.AddCommand(newCmdAddUser(f))
	return cmd
}

// env is what Run and add-user open.
type env struct {
	store wizard.Store
	key   []byte
}

func open(ctx context.Context, dataDir string) (*env, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("--data-dir: %w", err)
	}
	var (
		store wizard.Store
		err   error
	)
	if dsn := os.Getenv(DatabaseEnv); dsn != "" {
		store, err = postgres.Open(ctx, dsn)
	} else {
		store, err = sqlite.Open(ctx, filepath.Join(dataDir, "wizard.db"))
	}
	if err != nil {
		return nil, err
	}
	key, err := secrets.LoadKey(filepath.Join(dataDir, "wizard.key"), secrets.Random)
	if err != nil {
		store.Close()
		return nil, err
	}
	return &env{store: store, key: key}, nil
}

func loadCatalog(dir string) (*catalog.Catalog, error) {
	if dir == "" {
		return catalog.Load(openova.Catalog)
	}
	return catalog.LoadDir(dir)
}

// Run serves until a signal (or opts.Stop) and then shuts down gracefully.
func Run(opts *Options) error {
	ctx := context.Background()
	if (opts.TLSCert == "") != (opts.TLSKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if opts.ApplyLease < time.Second {
		return fmt.Errorf("--apply-lease %s: use at least 1s (the lease is renewed every third of it)", opts.ApplyLease)
	}
	e, err := open(ctx, opts.DataDir)
	if err != nil {
		return err
	}
	defer e.store.Close()
	if err := firstAdmin(ctx, opts, e.store); err != nil {
		return err
	}
	cat, err := loadCatalog(opts.CatalogDir)
	if err != nil {
		return fmt.Errorf("load catalog: %w", err)
	}
	sealer, err := secrets.New(e.key, secrets.Random)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(opts.IO.ErrOut, nil))
	tofu := chooseTofu(opts.Tofu, opts.TofuGiven, exec.LookPath)
	if tofu.Path != "" {
		v, err := tofuVersion(ctx, tofu.Path)
		if err != nil {
			return err
		}
		fmt.Fprintf(opts.IO.ErrOut, "catalyst bootstrap: managed apply on, with %s (%s, %s)\n", tofu.Path, v, tofu.Why)
	} else {
		fmt.Fprintf(opts.IO.ErrOut, "catalyst bootstrap: managed apply off (%s); export works\n", tofu.Why)
	}
	sso, err := opts.OIDC.relyingParty(ctx)
	if err != nil {
		return err
	}
	h, err := wizhttp.New(wizhttp.Config{OIDC: sso, Store: e.store, Catalog: cat, Sealer: sealer, Logger: logger,
		Now: time.Now, Random: secrets.Random, SecureCookies: opts.SecureCookies || opts.TLSCert != "",
		Tofu: tofu.Path, ApplyDir: filepath.Join(opts.DataDir, "apply"), ApplyLease: opts.ApplyLease, ApplyConfig: rehearsal(opts.ApplyConfig)})
	if err != nil {
		return err
	}
	defer h.Close() // stops running applies; their journals say where to resume
	if tofu.Path != "" {
		if err := h.Resume(ctx); err != nil {
			return fmt.Errorf("resume managed applies: %w", err)
		}
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", opts.Listen, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	scheme := "http"
	if opts.TLSCert != "" {
		scheme = "https"
	}
	fmt.Fprintf(opts.IO.ErrOut, "catalyst bootstrap: serving the wizard at %s://%s/ (data in %s)\n", scheme, ln.Addr(), opts.DataDir)
	if opts.Ready != nil {
		opts.Ready(ln.Addr().String())
	}
	stop := opts.Stop
	if stop == nil {
		var cancel context.CancelFunc
		stop, cancel = signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
		defer cancel()
	}
	errc := make(chan error, 1)
	go func() {
		if opts.TLSCert != "" {
			errc <- srv.ServeTLS(ln, opts.TLSCert, opts.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return err
	case <-stop.Done():
	}
	h.Close() // first: ends the event streams Shutdown would wait for
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// firstAdmin creates user admin in --org when the store has no user, and
// prints its password once.
func firstAdmin(ctx context.Context, opts *Options, s wizard.Store) error {
	n, err := s.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	pw, err := wizard.AddLocalUser(ctx, s, opts.Org, "admin", os.Getenv(AdminPasswordEnv), time.Now())
	if err != nil {
		return fmt.Errorf("create the first admin: %w", err)
	}
	if os.Getenv(AdminPasswordEnv) != "" {
		fmt.Fprintf(opts.IO.ErrOut, "catalyst bootstrap: created user admin in organisation %s with the password from $%s\n", opts.Org, AdminPasswordEnv)
		return nil
	}
	fmt.Fprintf(opts.IO.ErrOut, "catalyst bootstrap: created user admin in organisation %s; its password, shown once: %s\n", opts.Org, pw)
	return nil
}

func newCmdAddUser(f *factory.Factory) *cobra.Command {
	var dataDir, org, name, role string
	cmd := &cobra.Command{
		Use:   "add-user --org ORG --name NAME [--role admin|member]",
		Short: "Add a local user to an organisation (created if missing); its password is printed once",
		Long: "Add a local user to an organisation (created if missing); its password is printed once.\n" +
			"The first user of a new organisation is its admin; later ones are members unless --role admin.\n" +
			"Admins manage the organisation's users on the wizard's Users page (/users).",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if role != "" {
				if _, err := wizard.ParseRole(role); err != nil {
					return fmt.Errorf("--role: %w", err)
				}
			}
			ctx := context.Background()
			e, err := open(ctx, dataDir)
			if err != nil {
				return err
			}
			defer e.store.Close()
			pw, err := wizard.AddLocalUserAs(ctx, e.store, org, name, "", wizard.Role(role), time.Now())
			if err != nil {
				return err
			}
			u, err := e.store.UserByName(ctx, name)
			if err != nil {
				return err
			}
			fmt.Fprintf(f.IOStreams.Out, "user %s (%s) in organisation %s; password, shown once: %s\n", name, u.Role, org, pw)
			return nil
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", DefaultDataDir(), "directory of the wizard's database and key")
	cmd.Flags().StringVar(&org, "org", "", "organisation (created if missing)")
	cmd.Flags().StringVar(&name, "name", "", "user name")
	cmd.Flags().StringVar(&role, "role", "", "admin or member (default: admin for a new organisation's first user, member otherwise)")
	_ = cmd.MarkFlagRequired("org")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}
