// Package web is the lifecycle manager's admin dashboard: platform health
// and per-component health, support, drift, versions and upgrades (with
// their changelog); the workflow explorer (the Flux install/upgrade graph
// with live status and events, each portal request's path); the day-2
// actions (Upgrade, Enable pack, Add cluster) as pull requests; and a JSON
// endpoint per page. Server-rendered, assets embedded, no CDN.
package web

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/instance"
	"github.com/openova-io/openova/internal/manager"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Actions are the day-2 changes (*manager.Actions).
type Actions interface {
	Upgrade(ctx context.Context, component string) (forge.PullRequest, error)
	EnablePack(ctx context.Context, names ...string) (forge.PullRequest, error)
	AddRegion(ctx context.Context, r instance.Region) (forge.PullRequest, error)
}

// Options of the dashboard.
type Options struct {
	// Reader reads PlatformInstances, Blueprints, Flux objects, Events and
	// PortalRequests (uncached: the manager's API reader).
	Reader client.Reader
	// Actions nil makes the dashboard read-only.
	Actions Actions
	// Auth admits platform admins (TokenAuth, or OIDCAuth for an OIDC
	// admin group); every page but the sign-in needs one.
	Auth Authorizer
	// Catalog lists the products and à la carte components to enable.
	Catalog *catalog.Catalog
	// Portal, when set, is mounted at /portal/ (it authenticates its own users).
	Portal http.Handler
	// Registerer takes the action counter; nil skips it.
	Registerer prometheus.Registerer
}

type server struct {
	reader  client.Reader
	actions Actions
	auth    Authorizer
	cat     *catalog.Catalog
	pages   map[string]*template.Template
	counter *prometheus.CounterVec
}

// New returns the dashboard's handler.
func New(o Options) (http.Handler, error) {
	if o.Reader == nil || o.Auth == nil {
		return nil, errors.New("web: Reader and Auth are required")
	}
	s := &server{reader: o.Reader, actions: o.Actions, auth: o.Auth, cat: o.Catalog, pages: map[string]*template.Template{}}
	for _, page := range []string{"dashboard", "explorer", "result", "login", "signedout"} {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+page+".html")
		if err != nil {
			return nil, err
		}
		s.pages[page] = t
	}
	if o.Registerer != nil {
		s.counter = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "openova_manager_actions_total",
			Help: "Day-2 actions requested from the dashboard, by action and result (opened, unchanged, invalid, failed)."},
			[]string{"action", "result"})
		if err := o.Registerer.Register(s.counter); err != nil {
			// A second dashboard in one process (tests) counts on the first's.
			var dup prometheus.AlreadyRegisteredError
			if !errors.As(err, &dup) {
				return nil, err
			}
			s.counter = dup.ExistingCollector.(*prometheus.CounterVec)
		}
	}
	static, _ := fs.Sub(staticFS, "static")
	mux := http.NewServeMux()
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	endSession := ""
	if sso, ok := o.Auth.(*OIDCAuth); ok {
		mux.HandleFunc("GET /login", sso.StartLogin)
		mux.HandleFunc("GET "+CallbackPath, sso.FinishLogin)
		endSession = sso.Flow.RP.GetEndSessionEndpoint()
	} else {
		mux.HandleFunc("GET /login", s.loginPage)
		mux.HandleFunc("POST /login", s.loginPost)
	}
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET "+SignedOutPath, s.signedOut)
	mux.Handle("GET /{$}", s.admin(s.dashboard))
	mux.Handle("GET /explorer", s.admin(s.explorer))
	mux.Handle("GET /api/v1/components", s.admin(s.apiComponents))
	mux.Handle("GET /api/v1/graph", s.admin(s.apiGraph))
	mux.Handle("GET /api/v1/requests", s.admin(s.apiRequests))
	mux.Handle("POST /actions/upgrade", s.admin(s.postUpgrade))
	mux.Handle("POST /actions/enable", s.admin(s.postEnable))
	mux.Handle("POST /actions/add-region", s.admin(s.postAddRegion))
	if o.Portal != nil {
		mux.Handle("/portal/", o.Portal)
	}
	return securityHeaders(mux, csp(endSession)), nil
}

var funcs = template.FuncMap{
	"lower": strings.ToLower,
	"join":  strings.Join,
}

func securityHeaders(h http.Handler, policy string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/portal/") {
			w.Header().Set("Content-Security-Policy", policy)
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Header().Set("Referrer-Policy", "same-origin")
		}
		h.ServeHTTP(w, r)
	})
}

// admin lets platform admins through; a form post must also come from
// this origin and carry the CSRF token.
func (s *server) admin(h func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, ok := s.auth.Admin(r); !ok {
			if r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/") {
				http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
				return
			}
			http.Error(w, "sign in as a platform admin (Authorization: Bearer <admin token>)", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			if !sameOrigin(r) {
				http.Error(w, "cross-origin request refused", http.StatusForbidden)
				return
			}
			if want := s.auth.CSRF(r); want != "" && r.PostFormValue("csrf") != want {
				http.Error(w, "missing or stale form token: reload the page and try again", http.StatusForbidden)
				return
			}
		}
		h(w, r)
	})
}

func (s *server) render(w http.ResponseWriter, r *http.Request, page string, status int, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	if _, set := data["CSRF"]; !set { // the sign-out page clears it
		data["CSRF"] = s.auth.CSRF(r)
	}
	data["Page"] = page
	data["ReadOnly"] = s.actions == nil
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := s.pages[page].Execute(w, data); err != nil {
		slog.ErrorContext(r.Context(), "render page", "page", page, "err", err)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	slog.ErrorContext(r.Context(), "dashboard read", "err", err)
	http.Error(w, err.Error(), http.StatusBadGateway)
}

func (s *server) dashboard(w http.ResponseWriter, r *http.Request) {
	ins, err := s.instances(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "dashboard", http.StatusOK, map[string]any{"Instances": ins, "Packs": s.packs()})
}

// packs are the names the Enable form offers: products, then à la carte components.
func (s *server) packs() []string {
	if s.cat == nil {
		return nil
	}
	var out []string
	for _, p := range s.cat.Products {
		out = append(out, p.Name())
	}
	for _, b := range s.cat.Blueprints {
		if b.Spec.Tier == catalog.TierAlaCarte {
			out = append(out, b.Name())
		}
	}
	return out
}

func (s *server) explorer(w http.ResponseWriter, r *http.Request) {
	g, err := s.graph(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	reqs, err := s.requests(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, "explorer", http.StatusOK, map[string]any{"Graph": g, "Requests": reqs})
}

func (s *server) apiComponents(w http.ResponseWriter, r *http.Request) {
	ins, err := s.instances(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, map[string]any{"instances": ins})
}

func (s *server) apiGraph(w http.ResponseWriter, r *http.Request) {
	g, err := s.graph(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, g)
}

func (s *server) apiRequests(w http.ResponseWriter, r *http.Request) {
	reqs, err := s.requests(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, map[string]any{"requests": reqs})
}

func (s *server) postUpgrade(w http.ResponseWriter, r *http.Request) {
	c := r.PostFormValue("component")
	s.act(w, r, "upgrade", "Upgrade "+c, func(ctx context.Context) (forge.PullRequest, error) { return s.actions.Upgrade(ctx, c) })
}

func (s *server) postEnable(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	names := r.PostForm["name"]
	s.act(w, r, "enable", "Enable "+strings.Join(names, ", "), func(ctx context.Context) (forge.PullRequest, error) {
		return s.actions.EnablePack(ctx, names...)
	})
}

func (s *server) postAddRegion(w http.ResponseWriter, r *http.Request) {
	num := func(field string) int { n, _ := strconv.Atoi(r.PostFormValue(field)); return n }
	reg := instance.Region{Name: r.PostFormValue("name"), Location: r.PostFormValue("location"),
		ControlPlane: instance.ControlPlane{Count: num("controlPlaneCount"), ServerType: r.PostFormValue("controlPlaneType")},
		WorkerPools:  []instance.WorkerPool{{Name: "default", ServerType: r.PostFormValue("workerType"), Count: num("workerCount")}}}
	s.act(w, r, "add-region", "Add region "+reg.Name, func(ctx context.Context) (forge.PullRequest, error) {
		return s.actions.AddRegion(ctx, reg)
	})
}

// act runs an action and maps its outcome to a status, in one place.
func (s *server) act(w http.ResponseWriter, r *http.Request, action, title string, run func(context.Context) (forge.PullRequest, error)) {
	if s.actions == nil {
		http.Error(w, "the dashboard is read-only: start catalyst manager with --gitea-url and its token to enable actions", http.StatusServiceUnavailable)
		return
	}
	who, _ := s.auth.Admin(r)
	pr, err := run(manager.WithRequester(r.Context(), who))
	var verr *instance.ValidationError
	status, result := http.StatusOK, "opened"
	switch {
	case errors.Is(err, manager.ErrNothingToChange):
		status, result = http.StatusConflict, "unchanged"
	case errors.As(err, &verr):
		status, result = http.StatusUnprocessableEntity, "invalid"
	case err != nil:
		status, result = http.StatusBadGateway, "failed"
		slog.ErrorContext(r.Context(), "dashboard action", "action", action, "err", err)
	}
	if s.counter != nil {
		s.counter.WithLabelValues(action, result).Inc()
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		body := map[string]any{"result": result, "pullRequest": pr}
		if err != nil {
			body["error"] = err.Error()
		}
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	data := map[string]any{"Title": title, "Result": result, "PR": pr}
	if err != nil {
		data["Error"] = fmt.Sprint(err)
	}
	s.render(w, r, "result", status, data)
}

func (s *server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "login", http.StatusOK, nil)
}

func (s *server) loginPost(w http.ResponseWriter, r *http.Request) {
	ta, ok := s.auth.(TokenAuth)
	if !ok || !sameOrigin(r) || !ta.login(w, r, r.PostFormValue("token")) {
		s.render(w, r, "login", http.StatusUnauthorized, map[string]any{"Error": "That is not the admin token."})
		return
	}
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
