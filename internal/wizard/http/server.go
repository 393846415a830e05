// Package http is the wizard's web adapter: the server-rendered UI (Go
// templates, one small script, every asset embedded) and the JSON API
// under /api/v1 that the UI calls. Domain errors become HTTP status codes
// in exactly one place (errors.go).
package http

import (
	"context"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/wizard"
	"github.com/openova-io/openova/internal/wizard/secrets"
)

//go:embed assets
var assets embed.FS

// Config are the server's dependencies; time and randomness are injected.
type Config struct {
	Store   wizard.Store
	Catalog *catalog.Catalog
	Sealer  *secrets.Sealer
	Logger  *slog.Logger
	Now     func() time.Time
	Random  io.Reader
	// SecureCookies marks cookies Secure: on whenever the browser reaches
	// the wizard over https (TLS here or at a reverse proxy).
	SecureCookies bool
	// SessionTTL is how long a sign-in lasts; sessions are stored, so they
	// survive restarts and are shared by replicas.
	SessionTTL time.Duration
	// Tofu is the tofu binary of managed apply, ApplyDir its work
	// directories (one per bootstrap); either empty turns managed apply off.
	Tofu     string
	ApplyDir string
	// ApplyConfig picks the files tofu runs from the generated tree;
	// TerraformConfig (the default) takes terraform/.
	ApplyConfig func(*wizard.Bootstrap, *filetree.Tree) (map[string][]byte, error)
	// ReplicaID names this wizard process as the holder of apply leases
	// (random by default: a restarted process is another holder).
	ReplicaID string
	// ApplyLease is how long an apply's lease lasts unrenewed (30s by
	// default): the longest a dead replica's apply waits to be resumed.
	ApplyLease time.Duration
	// KeepLogLines bounds the log lines kept per apply (10000 by default).
	KeepLogLines int
	// OIDC turns single sign-on on; nil leaves local users only.
	OIDC *OIDC
}

// Server serves the wizard.
type Server struct {
	Config
	mux      *http.ServeMux
	pages    map[string]*template.Template
	throttle throttle
	mu       sync.Mutex // serialises read-modify-write of one bootstrap per replica
	runs     *runs
	csp      string
}

// New builds the server.
func New(c Config) (*Server, error) {
	if c.SessionTTL == 0 {
		c.SessionTTL = 12 * time.Hour
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ApplyConfig == nil {
		c.ApplyConfig = TerraformConfig
	}
	if c.ApplyLease == 0 {
		c.ApplyLease = 30 * time.Second
	}
	if c.ApplyLease < time.Second {
		return nil, fmt.Errorf("apply lease %s: use at least 1s (it is renewed every third of it)", c.ApplyLease)
	}
	if c.KeepLogLines <= 0 {
		c.KeepLogLines = 10000
	}
	if c.ReplicaID == "" {
		id := make([]byte, 8)
		if _, err := io.ReadFull(c.Random, id); err != nil {
			return nil, fmt.Errorf("replica id: %w", err)
		}
		host, _ := os.Hostname()
		c.ReplicaID = host + "-" + hex.EncodeToString(id)
	}
	s := &Server{Config: c, mux: http.NewServeMux(), throttle: throttle{store: c.Store, policy: wizard.DefaultLoginPolicy}, runs: newRuns()}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s.pages = pages
	s.csp = csp(s.endSessionEndpoint())
	s.routes()
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "same-origin") // "no-referrer" makes browsers send Origin: null on form posts
	w.Header().Set("Content-Security-Policy", s.csp)
	w.Header().Set("Cache-Control", "no-store")
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	static, _ := fs.Sub(assets, "assets/static")
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	s.mux.HandleFunc("GET /api/v1/openapi.json", s.openAPI)

	s.mux.HandleFunc("GET /login", s.loginPage)
	s.mux.HandleFunc("POST /login", s.loginForm)
	s.mux.HandleFunc("POST /api/v1/login", s.loginAPI)
	if s.OIDC != nil {
		s.mux.HandleFunc("GET /login/oidc", s.oidcStart)
		s.mux.HandleFunc("GET /login/oidc/callback", s.oidcCallback)
	}
	s.mux.Handle("POST /logout", s.auth(s.logout))
	s.mux.Handle("POST /api/v1/logout", s.auth(s.logout))
	s.mux.HandleFunc("GET /signedout", s.signedOut)
	s.mux.Handle("GET /api/v1/session", s.auth(s.sessionInfo))

	s.mux.Handle("GET /{$}", s.authPage(s.homePage))
	s.mux.Handle("GET /b/{id}/{step}", s.authPage(s.stepPage))
	s.mux.Handle("GET /b/{id}/files/{path...}", s.authPage(s.filePage))

	s.mux.Handle("GET /api/v1/catalog", s.auth(s.catalogAPI))
	s.mux.Handle("GET /api/v1/audit", s.auth(s.auditAPI))
	s.mux.Handle("GET /api/v1/bootstraps", s.auth(s.listBootstraps))
	s.mux.Handle("POST /api/v1/bootstraps", s.auth(s.createBootstrap))
	s.mux.Handle("GET /api/v1/bootstraps/{id}", s.auth(s.getBootstrap))
	s.mux.Handle("DELETE /api/v1/bootstraps/{id}", s.auth(s.deleteBootstrap))
	s.mux.Handle("PUT /api/v1/bootstraps/{id}/steps/{step}", s.auth(s.saveStep))
	s.mux.Handle("PUT /api/v1/bootstraps/{id}/credentials", s.auth(s.putCredentials))
	s.mux.Handle("POST /api/v1/bootstraps/{id}/credentials/generate", s.auth(s.generateCredential))
	s.mux.Handle("GET /api/v1/bootstraps/{id}/review", s.auth(s.review))
	s.mux.Handle("GET /api/v1/bootstraps/{id}/files/{path...}", s.auth(s.fileAPI))
	s.mux.Handle("GET /api/v1/bootstraps/{id}/export", s.auth(s.export))
	s.mux.Handle("POST /api/v1/bootstraps/{id}/complete", s.auth(s.complete))
	s.mux.Handle("GET /api/v1/bootstraps/{id}/apply", s.auth(s.getApply))
	s.mux.Handle("POST /api/v1/bootstraps/{id}/apply", s.auth(s.startApply))
	s.mux.Handle("GET /api/v1/bootstraps/{id}/apply/events", s.auth(s.applyEvents))
	s.mux.Handle("POST /api/v1/bootstraps/{id}/apply/approve", s.auth(s.approveApply))
	s.mux.Handle("POST /api/v1/bootstraps/{id}/destroy", s.auth(s.destroy))
	s.mux.Handle("GET /b/{id}/apply", s.authPage(s.applyPage))
	s.mux.Handle("GET /audit", s.authPage(s.auditUI))
	s.mux.Handle("GET /api/v1/users", s.auth(s.usersAPI))
	s.mux.Handle("POST /api/v1/users", s.auth(s.postUser))
	s.mux.Handle("PATCH /api/v1/users/{id}", s.auth(s.patchUser))
	s.mux.Handle("DELETE /api/v1/users/{id}", s.auth(s.deleteUser))
	s.mux.Handle("GET /users", s.authPage(s.usersPage))
	s.mux.Handle("POST /users", s.authForm(s.addUserForm))
	s.mux.Handle("POST /users/{id}/{change}", s.authForm(s.userForm))
}

func (s *Server) openAPI(w http.ResponseWriter, _ *http.Request) {
	data, _ := assets.ReadFile("assets/openapi.json")
	w.Header().Set("Content-Type", "application/json")
	w.Write(data)
}

// audit records an event; a failure is logged, never shown (the action
// already happened).
func (s *Server) audit(ctx context.Context, u *principal, action, target string) {
	e := &wizard.AuditEvent{OrgID: u.session.OrgID, Actor: u.user.Name, Action: action, Target: target, At: s.Now()}
	if err := s.Store.AppendAudit(ctx, e); err != nil {
		s.Logger.ErrorContext(ctx, "audit", "action", action, "err", err)
	}
}
