package portalweb

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/util/validation/field"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/portal"
)

// submit is the one path from a request to a pull request, for the form
// and the API alike. A namespace outside the person's teams is refused
// before anything else; values the form could not convert are reported
// together with everything Validate finds.
func (h *handler) submit(r *http.Request, req portal.Request, convErrs field.ErrorList) (*platformv1.PortalRequest, error) {
	if req.Namespace != "" && !h.cfg.Service.Teams.Allows(req.Groups, req.Namespace) {
		return nil, fmt.Errorf("namespace %s: %w", req.Namespace, portal.ErrForbidden)
	}
	if len(convErrs) > 0 {
		errs := slices.Clone(convErrs)
		for _, e := range portal.Validate(h.cfg.Service.Catalog, h.cfg.Service.Teams, req) {
			if !slices.ContainsFunc(convErrs, func(c *field.Error) bool { return c.Field == e.Field }) {
				errs = append(errs, e)
			}
		}
		return nil, &portal.ValidationError{Errs: errs}
	}
	pr, err := h.cfg.Service.Submit(r.Context(), req)
	if err == nil {
		h.cfg.Logger.InfoContext(r.Context(), "portal request submitted", "user", req.RequestedBy, "blueprint", req.Blueprint,
			"namespace", req.Namespace, "name", pr.Name)
	}
	return pr, err
}

type offeringView struct {
	Blueprint   string         `json:"blueprint"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Category    string         `json:"category"`
	ClaimKind   string         `json:"claimKind"`
	Schema      map[string]any `json:"schema"`
}

func offeringOf(o portal.Offering) offeringView {
	return offeringView{Blueprint: o.Blueprint, Title: o.Title, Description: o.Description, Category: o.Category, ClaimKind: o.ClaimKind, Schema: o.Schema}
}

// requestView is a PortalRequest as the portal shows it: the connection
// Secret by name only (the object never holds its value).
type requestView struct {
	// Name is the PortalRequest's (<namespace>.<claim>), used in URLs;
	// Claim is the name the team chose.
	Name             string           `json:"name"`
	Claim            string           `json:"claim"`
	Blueprint        string           `json:"blueprint"`
	Namespace        string           `json:"namespace,omitempty"`
	RequestedBy      string           `json:"requestedBy"`
	Created          time.Time        `json:"created"`
	Phase            string           `json:"phase"`
	Reason           string           `json:"reason,omitempty"`
	Message          string           `json:"message,omitempty"`
	PullRequest      *pullRequestView `json:"pullRequest,omitempty"`
	ConnectionSecret string           `json:"connectionSecret,omitempty"`
	Values           json.RawMessage  `json:"values,omitempty"`
	// Final is true once the request will change no more (Ready, Failed).
	Final bool `json:"final"`
}

type pullRequestView struct {
	URL         string `json:"url"`
	Number      int64  `json:"number"`
	MergeCommit string `json:"mergeCommit,omitempty"`
}

func viewOf(pr *platformv1.PortalRequest) requestView {
	v := requestView{Name: pr.Name, Claim: pr.Labels[portal.LabelName], Blueprint: pr.Spec.Blueprint, Namespace: pr.Labels[portal.LabelNamespace], RequestedBy: pr.Spec.RequestedBy,
		Created: pr.CreationTimestamp.Time, Phase: string(pr.Status.Phase), Reason: pr.Status.Reason, Message: pr.Status.Message}
	if v.Phase == "" {
		v.Phase = "Pending"
	}
	v.Final = pr.Status.Phase == platformv1.PhaseReady || pr.Status.Phase == platformv1.PhaseFailed
	if p := pr.Status.PullRequest; p != nil {
		v.PullRequest = &pullRequestView{URL: p.URL, Number: p.Number, MergeCommit: p.MergeCommit}
	}
	if pr.Status.Phase == platformv1.PhaseReady {
		v.ConnectionSecret = pr.Status.ConnectionSecret
	}
	if pr.Spec.Values != nil {
		v.Values = pr.Spec.Values.Raw
	}
	return v
}

func (h *handler) sessionAPI(w http.ResponseWriter, _ *http.Request, s *session) {
	var teams []string
	for _, t := range h.cfg.Service.Teams.Of(s.Groups) {
		teams = append(teams, t.Name)
	}
	writeJSON(w, http.StatusOK, map[string]any{"user": s.User(), "groups": s.Groups, "teams": teams,
		"namespaces": h.namespaces(s), "csrfToken": s.CSRF, "expires": s.Expires})
}

func (h *handler) offeringsAPI(w http.ResponseWriter, _ *http.Request, _ *session) {
	out := make([]offeringView, 0, len(h.offerings))
	for _, o := range h.offerings {
		out = append(out, offeringOf(o))
	}
	writeJSON(w, http.StatusOK, map[string]any{"offerings": out})
}

func (h *handler) offeringAPI(w http.ResponseWriter, r *http.Request, _ *session) {
	o, err := h.offering(r.PathValue("blueprint"))
	if err != nil {
		h.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, offeringOf(o))
}

func (h *handler) listAPI(w http.ResponseWriter, r *http.Request, s *session) {
	list, err := h.cfg.Service.List(r.Context(), s.Groups)
	if err != nil {
		h.apiError(w, r, err)
		return
	}
	out := make([]requestView, 0, len(list))
	for i := range list {
		out = append(out, viewOf(&list[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"requests": out})
}

func (h *handler) getAPI(w http.ResponseWriter, r *http.Request, s *session) {
	pr, err := h.cfg.Service.Get(r.Context(), s.Groups, r.PathValue("name"))
	if err != nil {
		h.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewOf(pr))
}

// submitBody is the API's request: values already typed as JSON.
type submitBody struct {
	Blueprint string         `json:"blueprint"`
	Name      string         `json:"name"`
	Namespace string         `json:"namespace"`
	Values    map[string]any `json:"values"`
	// Advanced is the Advanced lane's raw fields (supported best effort).
	Advanced map[string]any `json:"advanced,omitempty"`
}

func (h *handler) submitAPI(w http.ResponseWriter, r *http.Request, s *session) {
	var b submitBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		h.apiError(w, r, &statusError{http.StatusBadRequest, "request body: " + err.Error() + "; send {\"blueprint\", \"name\", \"namespace\", \"values\"}"})
		return
	}
	if _, err := h.offering(b.Blueprint); err != nil {
		h.apiError(w, r, err)
		return
	}
	pr, err := h.submit(r, portal.Request{Blueprint: b.Blueprint, Name: b.Name, Namespace: b.Namespace, Values: b.Values,
		Advanced: b.Advanced, RequestedBy: s.User(), Groups: s.Groups}, nil)
	if err != nil {
		h.apiError(w, r, err)
		return
	}
	w.Header().Set("Location", h.prefix+"/api/v1/requests/"+pr.Name)
	writeJSON(w, http.StatusCreated, viewOf(pr))
}
