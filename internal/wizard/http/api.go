package http

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/generate"
	"github.com/openova-io/openova/internal/wizard"
)

// maxBody bounds request bodies; a whole spec is a few KiB.
const maxBody = 1 << 20

// bootstrapView is a bootstrap in API responses. Credentials appear by
// name only.
type bootstrapView struct {
	ID          string              `json:"id"`
	Status      wizard.Status       `json:"status"`
	Spec        any                 `json:"spec"`
	Steps       []stepView          `json:"steps"`
	Credentials []string            `json:"credentials"`
	Created     string              `json:"created"`
	Updated     string              `json:"updated"`
	Errors      []wizard.FieldError `json:"errors,omitempty"`
	Extra       map[string]any      `json:"extra,omitempty"`
}

type stepView struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Done  bool   `json:"done"`
}

func (s *Server) view(r *http.Request, b *wizard.Bootstrap) (*bootstrapView, error) {
	creds, err := s.Store.Credentials(r.Context(), b.OrgID, b.ID)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(creds))
	for n := range creds {
		names = append(names, n)
	}
	sort.Strings(names)
	v := &bootstrapView{ID: b.ID, Status: b.Status, Spec: b.Instance.Spec, Credentials: names,
		Created: b.Created.Format("2006-01-02T15:04:05Z"), Updated: b.Updated.Format("2006-01-02T15:04:05Z")}
	for _, st := range wizard.Steps {
		v.Steps = append(v.Steps, stepView{Name: st.Name, Title: st.Title, Done: b.IsDone(st.Name)})
	}
	return v, nil
}

// load returns the caller's bootstrap; another organisation's is ENOTFOUND.
func (s *Server) load(r *http.Request) (*wizard.Bootstrap, error) {
	return s.Store.Bootstrap(r.Context(), who(r).session.OrgID, r.PathValue("id"))
}

func (s *Server) listBootstraps(w http.ResponseWriter, r *http.Request) {
	list, err := s.Store.Bootstraps(r.Context(), who(r).session.OrgID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []*bootstrapView{}
	for _, b := range list {
		v, err := s.view(r, b)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createBootstrap(w http.ResponseWriter, r *http.Request) {
	p := who(r)
	id, err := wizard.NewID(s.Random)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.Now()
	b := &wizard.Bootstrap{ID: id, OrgID: p.session.OrgID, Instance: wizard.NewInstance(), Status: wizard.StatusDraft, Created: now, Updated: now}
	if err := s.Store.CreateBootstrap(r.Context(), b); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), p, "bootstrap.create", b.ID)
	v, err := s.view(r, b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, v)
}

func (s *Server) getBootstrap(w http.ResponseWriter, r *http.Request) {
	b, err := s.load(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, err := s.view(r, b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

func (s *Server) deleteBootstrap(w http.ResponseWriter, r *http.Request) {
	p := who(r)
	b, err := s.load(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.applyIdle(r.Context(), b); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.DeleteBootstrap(r.Context(), p.session.OrgID, b.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), p, "bootstrap.delete", r.PathValue("id"))
	w.WriteHeader(http.StatusNoContent)
}

// saveStep stores a step's fields even when they have problems (nothing
// typed is lost) and answers 422 with the problems, each under its field
// path, in catalyst validate's words.
func (s *Server) saveStep(w http.ResponseWriter, r *http.Request) {
	step, ok := wizard.StepByName(r.PathValue("step"))
	if !ok || len(step.Fields) == 0 {
		s.fail(w, r, wizard.Errorf(wizard.ENOTFOUND, "no spec step %q", r.PathValue("step")))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		s.fail(w, r, wizard.Errorf(wizard.EINVALID, "read body: %v", err))
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.load(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if b.Status == wizard.StatusCompleted {
		s.fail(w, r, wizard.Errorf(wizard.ECONFLICT, "bootstrap %s is completed; start a new one", b.ID))
		return
	}
	if err := wizard.ApplyStep(&b.Instance.Spec, step, body); err != nil {
		s.fail(w, r, err)
		return
	}
	all, err := wizard.Check(&b.Instance, s.Catalog)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	errs := wizard.StepErrors(all, step)
	b.MarkDone(step.Name, len(errs) == 0)
	b.Updated = s.Now()
	if err := s.Store.UpdateBootstrap(r.Context(), b); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), who(r), "step.save:"+step.Name, b.ID)
	if len(errs) > 0 {
		s.invalid(w, errs)
		return
	}
	v, err := s.view(r, b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if step.Name == "components" {
		pulled, err := pulledIn(s.Catalog, b)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		v.Extra = map[string]any{"pulledIn": pulled}
	}
	writeJSON(w, http.StatusOK, v)
}

// pulledIn are the components installed because something chosen needs
// them: neither mandatory nor chosen.
func pulledIn(cat *catalog.Catalog, b *wizard.Bootstrap) ([]string, error) {
	sel := append(append([]string{}, b.Instance.Spec.Components...), b.Instance.Spec.Products...)
	all, err := cat.Resolve(sel)
	if err != nil {
		return nil, wizard.Errorf(wizard.EINVALID, "%v", err)
	}
	skip := map[string]bool{}
	for _, m := range cat.Mandatory() {
		skip[m.Name()] = true
	}
	for _, c := range b.Instance.Spec.Components {
		skip[c] = true
	}
	out := []string{}
	for _, bp := range all {
		if !skip[bp.Name()] {
			out = append(out, bp.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

type catalogEntry struct {
	Name      string   `json:"name"`
	Category  string   `json:"category"`
	Purpose   string   `json:"purpose"`
	Mandatory bool     `json:"mandatory"`
	DependsOn []string `json:"dependsOn"`
}

type productEntry struct {
	Name        string   `json:"name"`
	DisplayName string   `json:"displayName"`
	Description string   `json:"description"`
	Members     []string `json:"members"`
}

func (s *Server) catalogAPI(w http.ResponseWriter, r *http.Request) {
	comps, prods := catalogEntries(s.Catalog)
	writeJSON(w, http.StatusOK, map[string]any{"components": comps, "products": prods})
}

func catalogEntries(cat *catalog.Catalog) ([]catalogEntry, []productEntry) {
	var comps []catalogEntry
	for _, b := range cat.Blueprints {
		deps := append([]string{}, b.Spec.DependsOn...)
		comps = append(comps, catalogEntry{Name: b.Name(), Category: b.Spec.Category, Purpose: b.Spec.Purpose,
			Mandatory: b.Spec.Tier == catalog.TierMandatory, DependsOn: deps})
	}
	sort.Slice(comps, func(i, j int) bool { return comps[i].Name < comps[j].Name })
	var prods []productEntry
	for _, p := range cat.Products {
		prods = append(prods, productEntry{Name: p.Name(), DisplayName: p.Spec.DisplayName, Description: p.Spec.Description, Members: p.Members()})
	}
	sort.Slice(prods, func(i, j int) bool { return prods[i].Name < prods[j].Name })
	return comps, prods
}

// generateTree runs catalyst generate's code on the bootstrap's spec.
func (s *Server) generateTree(b *wizard.Bootstrap) ([]byte, []wizard.FieldError, *filetree.Tree, error) {
	all, err := wizard.Check(&b.Instance, s.Catalog)
	if err != nil || len(all) > 0 {
		return nil, all, nil, err
	}
	spec, err := wizard.SpecYAML(&b.Instance)
	if err != nil {
		return nil, nil, nil, err
	}
	t, err := generate.Generate(spec, s.Catalog)
	if err != nil {
		return nil, nil, nil, err
	}
	return spec, nil, t, nil
}

func decodeJSON(r *http.Request, w http.ResponseWriter, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return wizard.Errorf(wizard.EINVALID, "body: %v", err)
	}
	return nil
}
