package portalweb

import (
	"bytes"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/openova-io/openova/internal/portal"
)

func parsePages() (map[string]*template.Template, error) {
	names, err := fs.Glob(assets, "assets/templates/*.html")
	if err != nil {
		return nil, err
	}
	pages := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(n[len("assets/templates/"):], ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").ParseFS(assets, "assets/templates/layout.html", n)
		if err != nil {
			return nil, err
		}
		pages[base] = t
	}
	return pages, nil
}

// render writes a page, buffered so a template failure is a clean 500.
func (h *handler) render(w http.ResponseWriter, r *http.Request, code int, page string, s *session, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	data["Prefix"] = h.prefix
	if s != nil {
		data["User"], data["CSRF"] = s.User(), s.CSRF
	}
	var buf bytes.Buffer
	if err := h.pages[page].Execute(&buf, data); err != nil {
		h.cfg.Logger.ErrorContext(r.Context(), "portal page failed", "page", page, "err", err)
		http.Error(w, "page failed to render", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

type category struct {
	Name      string
	Offerings []portal.Offering
}

func (h *handler) catalogPage(w http.ResponseWriter, r *http.Request, s *session) {
	var cats []category
	for _, o := range h.offerings {
		i := slices.IndexFunc(cats, func(c category) bool { return c.Name == o.Category })
		if i < 0 {
			cats = append(cats, category{Name: o.Category})
			i = len(cats) - 1
		}
		cats[i].Offerings = append(cats[i].Offerings, o)
	}
	slices.SortStableFunc(cats, func(a, b category) int { return strings.Compare(a.Name, b.Name) })
	h.render(w, r, http.StatusOK, "catalog", s, map[string]any{"Categories": cats})
}

func (h *handler) offering(name string) (portal.Offering, error) {
	for _, o := range h.offerings {
		if o.Blueprint == name {
			return o, nil
		}
	}
	return portal.Offering{}, notFound("%s is not an offering of this portal; the catalog lists them", name)
}

// namespaces are those of the person's teams, the only ones they may
// request into.
func (h *handler) namespaces(s *session) []string { return h.cfg.Service.Teams.Namespaces(s.Groups) }

func (h *handler) formPage(w http.ResponseWriter, r *http.Request, s *session) {
	o, err := h.offering(r.PathValue("blueprint"))
	if err != nil {
		h.pageError(w, r, s, err)
		return
	}
	h.renderForm(w, r, s, http.StatusOK, o, nil, nil)
}

// renderForm shows an offering's form; sent keeps what was submitted and
// errs are placed beside their fields.
func (h *handler) renderForm(w http.ResponseWriter, r *http.Request, s *session, code int, o portal.Offering, sent url.Values, errs field.ErrorList) {
	fields := Fields(o.Schema, sent)
	own, general := Place(fields, errs)
	h.render(w, r, code, "form", s, map[string]any{
		"Offering": o, "Fields": fields, "Namespaces": h.namespaces(s), "Errors": own, "General": general,
		"Name": sent.Get("name"), "Namespace": sent.Get("namespace"), "Refused": len(errs) > 0,
		"Advanced": sent.Get("advanced"),
	})
}

func (h *handler) submitForm(w http.ResponseWriter, r *http.Request, s *session) {
	o, err := h.offering(r.PathValue("blueprint"))
	if err != nil {
		h.pageError(w, r, s, err)
		return
	}
	req, convErrs := h.request(o, s, r.PostForm)
	pr, err := h.submit(r, req, convErrs)
	var invalid *portal.ValidationError
	if errors.As(err, &invalid) {
		h.renderForm(w, r, s, statusOf(err), o, r.PostForm, invalid.Errs)
		return
	}
	if err != nil {
		h.pageError(w, r, s, err)
		return
	}
	http.Redirect(w, r, h.prefix+"/requests/"+url.PathEscape(pr.Name), http.StatusSeeOther)
}

// request builds the portal request of a submitted form.
func (h *handler) request(o portal.Offering, s *session, form url.Values) (portal.Request, field.ErrorList) {
	values, errs := Values(o.Schema, form)
	advanced, err := Advanced(form.Get("advanced"), o.Advanced.Target)
	if err != nil {
		errs = append(errs, err)
	}
	return portal.Request{Blueprint: o.Blueprint, Name: strings.TrimSpace(form.Get("name")), Namespace: form.Get("namespace"),
		Values: values, Advanced: advanced, RequestedBy: s.User(), Groups: s.Groups}, errs
}

func (h *handler) requestsPage(w http.ResponseWriter, r *http.Request, s *session) {
	list, err := h.cfg.Service.List(r.Context(), s.Groups)
	if err != nil {
		h.pageError(w, r, s, err)
		return
	}
	views := make([]requestView, 0, len(list))
	for i := range list {
		views = append(views, viewOf(&list[i]))
	}
	h.render(w, r, http.StatusOK, "requests", s, map[string]any{"Requests": views})
}

func (h *handler) requestPage(w http.ResponseWriter, r *http.Request, s *session) {
	pr, err := h.cfg.Service.Get(r.Context(), s.Groups, r.PathValue("name"))
	if err != nil {
		h.pageError(w, r, s, err)
		return
	}
	h.render(w, r, http.StatusOK, "request", s, map[string]any{"Request": viewOf(pr)})
}

// teamGroups keeps the person's groups that map to one of teams.
func teamGroups(teams []portal.Team, groups []string) []string {
	var out []string
	for _, g := range groups {
		for _, t := range teams {
			if slices.Contains(t.Groups, g) {
				out = append(out, g)
				break
			}
		}
	}
	return out
}
