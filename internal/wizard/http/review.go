package http

import (
	"bytes"
	"fmt"
	"net/http"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/instance"
	"github.com/openova-io/openova/internal/wizard"
)

// summary is what a bootstrap will create, for the review page.
type summary struct {
	Tenant     string   `json:"tenant"`
	Domain     string   `json:"domain"`
	Clusters   []string `json:"clusters"`
	Servers    int      `json:"servers"`
	Components []string `json:"components"` // every component installed, install order
	Products   []string `json:"products"`
	Portal     string   `json:"portal"`
	Files      []string `json:"files"`
}

func summarize(in *instance.Instance, cat *catalog.Catalog, files []string) (*summary, error) {
	d := *in
	d.Spec.Regions = append([]instance.Region(nil), in.Spec.Regions...)
	instance.SetDefaults(&d)
	s := &summary{Tenant: d.Spec.Tenant, Domain: d.Spec.Domain, Products: d.Spec.Products, Portal: portalURL(d.Spec.Domain), Files: files}
	for _, r := range d.Spec.Regions {
		s.Clusters = append(s.Clusters, d.Spec.Cluster(r))
		s.Servers += r.ControlPlane.Count
		for _, p := range r.WorkerPools {
			s.Servers += p.Count
		}
	}
	bps, err := cat.Resolve(append(append([]string{}, d.Spec.Components...), d.Spec.Products...))
	if err != nil {
		return nil, err
	}
	for _, b := range bps {
		s.Components = append(s.Components, b.Name())
	}
	return s, nil
}

// portalURL is where the Catalyst portal of the new platform will answer.
func portalURL(domain string) string { return "https://catalyst." + domain }

func (s *Server) review(w http.ResponseWriter, r *http.Request) {
	b, err := s.load(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, errs, tree, err := s.generateTree(b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(errs) > 0 {
		s.invalid(w, errs)
		return
	}
	sum, err := summarize(&b.Instance, s.Catalog, tree.Paths())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sum)
}

func (s *Server) fileAPI(w http.ResponseWriter, r *http.Request) {
	data, err := s.file(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(data)
}

func (s *Server) file(r *http.Request) ([]byte, error) {
	b, err := s.load(r)
	if err != nil {
		return nil, err
	}
	_, errs, tree, err := s.generateTree(b)
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, wizard.Errorf(wizard.EINVALID, "the spec has %d problem(s); fix them before browsing the tree", len(errs))
	}
	data, ok := tree.Get(r.PathValue("path"))
	if !ok {
		return nil, wizard.Errorf(wizard.ENOTFOUND, "the instance repository has no file %s", r.PathValue("path"))
	}
	return data, nil
}

// export answers the instance repository as a .tar.gz: byte for byte what
// `catalyst generate` writes for the same instance.yaml. Credentials are
// not in the tree.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	b, err := s.load(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	_, errs, tree, err := s.generateTree(b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if len(errs) > 0 {
		s.invalid(w, errs)
		return
	}
	var buf bytes.Buffer
	dir := b.Instance.Spec.Tenant + "-instance"
	if err := wizard.Archive(&buf, dir, tree); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), who(r), "export", b.ID)
	w.Header().Set("Content-Type", "application/gzip")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s.tar.gz"`, dir))
	w.Write(buf.Bytes())
}

// complete ends a bootstrap: its credentials are wiped and it can no longer
// change. The answer says where the portal will be and how to remove the
// wizard.
func (s *Server) complete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.load(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.applyIdle(r.Context(), b); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.Store.WipeCredentials(r.Context(), b.OrgID, b.ID); err != nil {
		s.fail(w, r, err)
		return
	}
	b.Status, b.Updated = wizard.StatusCompleted, s.Now()
	if err := s.Store.UpdateBootstrap(r.Context(), b); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), who(r), "bootstrap.complete", b.ID)
	writeJSON(w, http.StatusOK, completion(b))
}

func completion(b *wizard.Bootstrap) map[string]any {
	return map[string]any{
		"status": b.Status,
		"portal": portalURL(b.Instance.Spec.Domain),
		"deleteWizard": []string{
			"Keep the exported archive, the state passphrase and the k3s token: they are all the platform needs from the wizard.",
			"Stop catalyst bootstrap (Ctrl-C, or stop its service).",
			"Delete its data directory (the SQLite file and wizard.key); credentials of completed bootstraps are already wiped.",
		},
	}
}
