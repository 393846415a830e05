package http

import (
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/openova-io/openova/internal/instance"
	"github.com/openova-io/openova/internal/wizard"
)

var funcs = template.FuncMap{
	"region": func(s instance.Spec, i int) instance.Region {
		if i < len(s.Regions) {
			return s.Regions[i]
		}
		return instance.Region{}
	},
	"pool": func(r instance.Region) instance.WorkerPool {
		if len(r.WorkerPools) > 0 {
			return r.WorkerPools[0]
		}
		return instance.WorkerPool{}
	},
	"has": func(list []string, v string) bool { return slices.Contains(list, v) },
	"num": func(n int) string {
		if n == 0 {
			return ""
		}
		return strconv.Itoa(n)
	},
	"regionArgs": func(s instance.Spec, i int) map[string]any {
		r := instance.Region{}
		if i < len(s.Regions) {
			r = s.Regions[i]
		}
		p := instance.WorkerPool{}
		if len(r.WorkerPools) > 0 {
			p = r.WorkerPools[0]
		}
		return map[string]any{"I": i, "R": r, "P": p}
	},
	"list": func(v ...string) []string { return v },
	"join": strings.Join,
	"add":  func(a, b int) int { return a + b },
}

// parsePages parses each page with the shared layout.
func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(assets, "assets/templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(assets, "assets/templates/layout.html", n)
		if err != nil {
			return nil, fmt.Errorf("parse %s: %w", n, err)
		}
		out[base] = t
	}
	return out, nil
}

func (s *Server) render(w http.ResponseWriter, r *http.Request, page string, data map[string]any) {
	if p, ok := r.Context().Value(principalKey{}).(*principal); ok {
		data["User"] = p.user.Name
		data["CSRF"] = p.session.CSRF
		data["Admin"] = p.user.Role == wizard.RoleAdmin
	}
	data["Page"] = page
	data["SSO"] = s.OIDC != nil
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.pages[page].ExecuteTemplate(w, "layout.html", data); err != nil {
		s.Logger.ErrorContext(r.Context(), "render", "page", page, "err", err)
	}
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "login", map[string]any{"Next": r.URL.Query().Get("next")})
}

func (s *Server) homePage(w http.ResponseWriter, r *http.Request) {
	list, err := s.Store.Bootstraps(r.Context(), who(r).session.OrgID)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, "home", map[string]any{"Bootstraps": list, "Steps": wizard.Steps})
}

func (s *Server) pageError(w http.ResponseWriter, r *http.Request, err error) {
	code := wizard.ErrorCode(err)
	msg := err.Error()
	if code == wizard.EINTERNAL {
		s.Logger.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
		msg = "internal error; the wizard's log has the details"
	}
	w.WriteHeader(status[code])
	s.render(w, r, "error", map[string]any{"Error": msg})
}

func (s *Server) stepPage(w http.ResponseWriter, r *http.Request) {
	step, ok := wizard.StepByName(r.PathValue("step"))
	if !ok {
		s.pageError(w, r, wizard.Errorf(wizard.ENOTFOUND, "no step %q", r.PathValue("step")))
		return
	}
	b, err := s.load(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	v, err := s.view(r, b)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	data := map[string]any{"B": b, "V": v, "Spec": b.Instance.Spec, "Step": step, "Steps": v.Steps, "Next": nextStep(step.Name)}
	switch step.Name {
	case "components":
		comps, prods := catalogEntries(s.Catalog)
		data["Components"], data["Products"] = comps, prods
		if pulled, err := pulledIn(s.Catalog, b); err == nil {
			data["PulledIn"] = pulled
		}
	case "credentials":
		data["Credentials"] = credentials
		data["Held"] = v.Credentials
	case "review", "export":
		_, errs, tree, err := s.generateTree(b)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		data["Errors"] = errs
		if tree != nil {
			sum, err := summarize(&b.Instance, s.Catalog, tree.Paths())
			if err != nil {
				s.pageError(w, r, err)
				return
			}
			data["Summary"] = sum
		}
		data["Completion"] = completion(b)
	}
	s.render(w, r, "step-"+step.Name, data)
}

func nextStep(name string) string {
	for i, s := range wizard.Steps {
		if s.Name == name && i+1 < len(wizard.Steps) {
			return wizard.Steps[i+1].Name
		}
	}
	return ""
}

func (s *Server) filePage(w http.ResponseWriter, r *http.Request) {
	data, err := s.file(r)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.render(w, r, "file", map[string]any{"ID": r.PathValue("id"), "Path": r.PathValue("path"), "Content": string(data)})
}
