// Package portalweb is the developer portal's web adapter: server-rendered
// pages (html/template, CSS and one small script embedded, nothing from a
// CDN) and a JSON API under <prefix>/api/v1, behind OpenID Connect sign-in
// (internal/oidclogin). A person's groups pick their teams and so the
// namespaces they may request into; the decisions live in
// internal/portal, errors become HTTP status in errors.go only.
package portalweb

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"

	"github.com/openova-io/openova/internal/oidclogin"
	"github.com/openova-io/openova/internal/portal"
)

//go:embed assets
var assets embed.FS

// Config are the handler's dependencies; time and randomness are injected.
type Config struct {
	// Service validates requests, opens their pull requests and lists
	// them; its Catalog and Teams are the portal's.
	Service *portal.Service
	// RP is the OIDC relying party (oidclogin.NewRelyingParty) whose
	// redirect URL is <external URL><Prefix>/callback.
	RP rp.RelyingParty
	// GroupsClaim names the ID token claim with the person's groups;
	// default "groups".
	GroupsClaim string
	// Sealer seals the session and sign-in cookies (*secrets.Sealer).
	Sealer oidclogin.Sealer
	// Prefix is where the handler is mounted; default "/portal".
	Prefix string
	// SecureCookies marks cookies Secure: on whenever browsers reach the
	// portal over https (TLS here or at the ingress).
	SecureCookies bool
	// SessionTTL is how long a sign-in lasts; default 8h.
	SessionTTL time.Duration
	Now        func() time.Time
	Random     io.Reader
	Logger     *slog.Logger
}

type handler struct {
	cfg       Config
	csp       string
	prefix    string
	mux       *http.ServeMux
	pages     map[string]*template.Template
	offerings []portal.Offering
}

// New returns the portal's handler; mount it at Prefix + "/".
func New(cfg Config) (http.Handler, error) {
	var missing []string
	for name, absent := range map[string]bool{"Service": cfg.Service == nil, "RP": cfg.RP == nil, "Sealer": cfg.Sealer == nil,
		"Now": cfg.Now == nil, "Random": cfg.Random == nil} {
		if absent {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("portalweb.Config: %s must be set", strings.Join(missing, ", "))
	}
	if cfg.Service.Catalog == nil {
		return nil, errors.New("portalweb.Config: Service.Catalog must be set")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "/portal"
	}
	if !strings.HasPrefix(cfg.Prefix, "/") || strings.HasSuffix(cfg.Prefix, "/") {
		return nil, fmt.Errorf("portalweb.Config: Prefix %q must start with / and not end with one, e.g. /portal", cfg.Prefix)
	}
	if cfg.SessionTTL == 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	h := &handler{cfg: cfg, prefix: cfg.Prefix, mux: http.NewServeMux(), pages: pages,
		offerings: portal.Offerings(cfg.Service.Catalog), csp: csp(cfg.RP.GetEndSessionEndpoint())}
	h.routes()
	return h, nil
}

// csp is the pages' Content-Security-Policy; its form-action lets the
// sign-out form reach the provider (oidclogin.FormAction).
func csp(endSession string) string {
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action " + oidclogin.FormAction(endSession)
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Referrer-Policy", "same-origin")
	w.Header().Set("Content-Security-Policy", h.csp)
	w.Header().Set("Cache-Control", "no-store")
	h.mux.ServeHTTP(w, r)
}

func (h *handler) routes() {
	p := h.prefix
	static, _ := fs.Sub(assets, "assets/static")
	h.mux.Handle("GET "+p+"/static/", http.StripPrefix(p+"/static/", http.FileServerFS(static)))
	h.mux.HandleFunc("GET "+p+"/login", h.login)
	h.mux.HandleFunc("GET "+p+"/callback", h.callback)
	h.mux.HandleFunc("POST "+p+"/logout", h.logout)
	h.mux.HandleFunc("GET "+p+"/signedout", h.signedOut)

	h.mux.Handle("GET "+p+"/{$}", h.page(h.catalogPage))
	h.mux.Handle("GET "+p+"/offerings/{blueprint}", h.page(h.formPage))
	h.mux.Handle("POST "+p+"/offerings/{blueprint}", h.page(h.submitForm))
	h.mux.Handle("GET "+p+"/requests", h.page(h.requestsPage))
	h.mux.Handle("GET "+p+"/requests/{name}", h.page(h.requestPage))
	h.mux.Handle("GET "+p+"/requests/{name}/events", h.api(h.requestEvents))

	h.mux.Handle("GET "+p+"/api/v1/session", h.api(h.sessionAPI))
	h.mux.Handle("GET "+p+"/api/v1/offerings", h.api(h.offeringsAPI))
	h.mux.Handle("GET "+p+"/api/v1/offerings/{blueprint}", h.api(h.offeringAPI))
	h.mux.Handle("GET "+p+"/api/v1/requests", h.api(h.listAPI))
	h.mux.Handle("POST "+p+"/api/v1/requests", h.api(h.submitAPI))
	h.mux.Handle("GET "+p+"/api/v1/requests/{name}", h.api(h.getAPI))
}

type sessionHandler func(http.ResponseWriter, *http.Request, *session)

// page requires a session, sending a person without one to sign in and
// back; every POST must carry the session's CSRF token.
func (h *handler) page(next sessionHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := h.sessionOf(r)
		if s == nil {
			if r.Method != http.MethodGet {
				h.pageError(w, r, nil, errSignedOut)
				return
			}
			http.Redirect(w, r, h.prefix+"/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !csrfOK(r, s) {
			h.pageError(w, r, s, errCSRF)
			return
		}
		next(w, r, s)
	})
}

// api is page for the JSON API: 401 instead of a redirect.
func (h *handler) api(next sessionHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := h.sessionOf(r)
		switch {
		case s == nil:
			h.apiError(w, r, errSignedOut)
		case r.Method == http.MethodPost && !csrfOK(r, s):
			h.apiError(w, r, errCSRF)
		default:
			next(w, r, s)
		}
	})
}

func (h *handler) flow() *oidclogin.Flow {
	return &oidclogin.Flow{RP: h.cfg.RP, Sealer: h.cfg.Sealer, Now: h.cfg.Now, Random: h.cfg.Random,
		Cookie: "catalyst_portal_oidc", Path: h.prefix + "/callback", Secure: h.cfg.SecureCookies,
		GroupsClaim: h.cfg.GroupsClaim, Home: h.prefix + "/"}
}

func (h *handler) login(w http.ResponseWriter, r *http.Request) {
	next := r.URL.Query().Get("next")
	if !strings.HasPrefix(next, h.prefix+"/") {
		next = h.prefix + "/"
	}
	if err := h.flow().Start(w, r, next); err != nil {
		h.pageError(w, r, nil, err)
	}
}

// callback starts a session for a verified identity; a person in no
// team is refused here rather than shown an empty portal.
func (h *handler) callback(w http.ResponseWriter, r *http.Request) {
	id, next, err := h.flow().Finish(w, r)
	if err != nil {
		h.cfg.Logger.WarnContext(r.Context(), "portal sign-in refused", "err", err)
		h.pageError(w, r, nil, err)
		return
	}
	teams := h.cfg.Service.Teams.Of(id.Groups)
	if len(teams) == 0 {
		h.cfg.Logger.WarnContext(r.Context(), "portal sign-in refused: no team", "user", id.DisplayName())
		h.pageError(w, r, nil, noTeamError(id.DisplayName()))
		return
	}
	csrf, err := randomToken(h.cfg.Random)
	if err != nil {
		h.pageError(w, r, nil, err)
		return
	}
	s := &session{Issuer: id.Issuer, Subject: id.Subject, Email: id.Email, Groups: teamGroups(teams, id.Groups),
		CSRF: csrf, Expires: h.cfg.Now().Add(h.cfg.SessionTTL), IDToken: id.IDToken}
	if err := h.setSession(w, s); err != nil {
		h.pageError(w, r, nil, err)
		return
	}
	h.cfg.Logger.InfoContext(r.Context(), "portal sign-in", "user", s.User(), "groups", s.Groups)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout clears the portal's session, then ends the provider's too
// (RP-initiated logout) when it offers an end_session_endpoint; the
// provider sends the browser back to /signedout. Otherwise the page says
// the provider may still have the person signed in.
func (h *handler) logout(w http.ResponseWriter, r *http.Request) {
	s := h.sessionOf(r)
	if s != nil && !csrfOK(r, s) {
		h.pageError(w, r, s, errCSRF)
		return
	}
	h.clearSession(w)
	if s != nil {
		f := h.flow()
		ended, err := f.Logout(w, r, s.IDToken, f.PostLogoutURL(h.prefix+"/signedout"))
		if err != nil {
			h.cfg.Logger.WarnContext(r.Context(), "portal sign-out at the identity provider failed", "user", s.User(), "err", err)
		}
		if ended {
			h.cfg.Logger.InfoContext(r.Context(), "portal sign-out", "user", s.User())
			return
		}
	}
	h.render(w, r, http.StatusOK, "signedout", nil, map[string]any{"ProviderToo": false})
}

// signedOut is where the provider sends the browser after ending its
// session.
func (h *handler) signedOut(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "signedout", nil, map[string]any{"ProviderToo": true})
}
