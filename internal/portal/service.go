package portal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/portal/render"
)

// Labels and annotations of a PortalRequest: what the tracker and the
// listing need and the API's spec does not carry.
const (
	LabelTeam      = "portal.openova.io/team"
	LabelNamespace = "portal.openova.io/namespace"
	LabelName      = "portal.openova.io/name"
	// LabelRequest is on every rendered object: the PortalRequest's name.
	LabelRequest = "portal.openova.io/request"
	// AnnotationReady names the object whose Ready condition makes the
	// request ready: "<apiVersion> <Kind>", named like the request in its
	// namespace.
	AnnotationReady = "portal.openova.io/ready-object"
	// AnnotationConnectionSecret is the name (never the value) of the
	// Secret the operator will create.
	AnnotationConnectionSecret = "portal.openova.io/connection-secret"
	// AnnotationSecretField is the dotted path in the ready object that
	// the operator sets once the connection Secret exists.
	AnnotationSecretField = "portal.openova.io/connection-secret-field"
	// AnnotationAdvanced holds the Advanced lane's raw fields as JSON.
	AnnotationAdvanced = "portal.openova.io/advanced"
)

// DefaultAuthor signs the commits of the portal's pull requests.
var DefaultAuthor = forge.Signature{Name: "OpenOva Catalyst", Email: "catalyst@openova.io"}

// Service turns a request into a pull request and tracks it through a
// PortalRequest object.
type Service struct {
	Catalog *catalog.Catalog
	Teams   Teams
	// Kube is where PortalRequests live, in Namespace.
	Kube      client.Client
	Namespace string
	Forge     *forge.Client
	// Repo is the instance repository, Base its protected branch.
	Repo forge.Repo
	Base string
	// Author of the commits; DefaultAuthor when empty.
	Author forge.Signature
}

// ObjectName is the PortalRequest of a request: namespaces hold no dots, so
// <namespace>.<name> is unique.
func ObjectName(namespace, name string) string { return namespace + "." + name }

// Branch is the pull request's branch, Catalyst's own.
func Branch(namespace, name string) string { return "catalyst/request/" + namespace + "/" + name }

// Submit validates req, opens (or finds) its pull request in the instance
// repository and records it as a PortalRequest in phase Open. Errors:
// ErrForbidden, *ValidationError, or wrapped I/O errors. Submitting the
// same request again returns the same PortalRequest and pull request.
func (s *Service) Submit(ctx context.Context, req Request) (*platformv1.PortalRequest, error) {
	if req.Namespace != "" && !s.Teams.Allows(req.Groups, req.Namespace) {
		return nil, fmt.Errorf("namespace %s: %w", req.Namespace, ErrForbidden)
	}
	if errs := Validate(s.Catalog, s.Teams, req); len(errs) > 0 {
		return nil, &ValidationError{Errs: errs}
	}
	o, _ := offering(s.Catalog, req.Blueprint)
	values := withDefaults(o.Schema, req.Values)
	spec, err := specOf(req, values)
	if err != nil {
		return nil, err
	}
	key := client.ObjectKey{Namespace: s.Namespace, Name: ObjectName(req.Namespace, req.Name)}
	var existing platformv1.PortalRequest
	switch err := s.Kube.Get(ctx, key, &existing); {
	case err == nil:
		if sameRequest(existing.Spec, spec) && existing.Annotations[AnnotationAdvanced] == advancedOf(req) {
			if existing.Status.PullRequest != nil {
				return &existing, nil
			}
			break // an earlier Submit stopped before recording the pull request: finish it
		}
		return nil, &ValidationError{Errs: field.ErrorList{field.Duplicate(field.NewPath("name"), req.Name+
			" was already requested in "+req.Namespace+" with other values; choose another name, or change it by pull request in the instance repository")}}
	case !apierrors.IsNotFound(err):
		return nil, fmt.Errorf("read PortalRequest %s: %w", key, err)
	}

	snap, _, err := s.Forge.Snapshot(ctx, s.Repo, s.Base)
	if err != nil {
		return nil, fmt.Errorf("read the instance repository %s@%s: %w", s.Repo, s.Base, err)
	}
	target, err := s.Target(ctx, snap)
	if err != nil {
		return nil, err
	}
	kind, _ := render.Lookup(o.ClaimKind)
	if errs := kind.Check(values, len(target.Regions)); len(errs) > 0 {
		return nil, &ValidationError{Errs: errs}
	}
	team := s.team(req)
	bp, _ := s.Catalog.Blueprint(req.Blueprint)
	res, err := kind.Render(target, render.Claim{Name: req.Name, Namespace: req.Namespace, Values: values, Advanced: req.Advanced,
		Labels: map[string]string{LabelRequest: key.Name, "app.kubernetes.io/managed-by": "catalyst"}, Blueprint: bp})
	if err != nil {
		return nil, fmt.Errorf("render %s %s/%s: %w", o.ClaimKind, req.Namespace, req.Name, err)
	}
	files, err := res.Files(req.Namespace, req.Name)
	if err != nil {
		return nil, err
	}
	pr, err := s.Forge.Propose(ctx, forge.Change{
		Repo: s.Repo, Base: s.Base, Branch: Branch(req.Namespace, req.Name),
		Title:  fmt.Sprintf("portal: %s %s in %s", o.Title, req.Name, req.Namespace),
		Body:   body(o, req, team, values, res, files),
		Author: s.author(), Files: files,
	})
	if err != nil {
		return nil, fmt.Errorf("open the pull request in %s: %w", s.Repo, err)
	}
	return s.record(ctx, key, req, team, spec, res, pr)
}

// record creates the PortalRequest and sets it Open with its pull request.
func (s *Service) record(ctx context.Context, key client.ObjectKey, req Request, team string, spec platformv1.PortalRequestSpec,
	res *render.Result, pr forge.PullRequest) (*platformv1.PortalRequest, error) {
	obj := &platformv1.PortalRequest{
		ObjectMeta: metav1.ObjectMeta{Name: key.Name, Namespace: key.Namespace,
			Labels: map[string]string{LabelTeam: team, LabelNamespace: req.Namespace, LabelName: req.Name},
			Annotations: map[string]string{
				AnnotationReady:            res.Ready.APIVersion + " " + res.Ready.Kind,
				AnnotationConnectionSecret: res.ConnectionSecret,
				AnnotationSecretField:      res.SecretField,
			}},
		Spec: spec,
	}
	if adv := advancedOf(req); adv != "" {
		obj.Annotations[AnnotationAdvanced] = adv
	}
	// A concurrent or interrupted Submit of the same request may have
	// created it: take that one (Submit checked it is the same request).
	if err := s.Kube.Create(ctx, obj); apierrors.IsAlreadyExists(err) {
		if err := s.Kube.Get(ctx, key, obj); err != nil {
			return nil, fmt.Errorf("read PortalRequest %s: %w", key, err)
		}
		if obj.Status.PullRequest != nil {
			return obj, nil
		}
	} else if err != nil {
		return nil, fmt.Errorf("create PortalRequest %s: %w", key, err)
	}
	// A merge patch without a resourceVersion: the tracker may already
	// have written the new request's status (conditions) in between.
	orig := obj.DeepCopy()
	obj.Status.Phase = platformv1.PhaseOpen
	obj.Status.Message = "pull request opened; waiting for a reviewer to merge it"
	obj.Status.PullRequest = &platformv1.PullRequest{URL: pr.URL, Number: pr.Number, Branch: pr.Branch}
	if err := s.Kube.Status().Patch(ctx, obj, client.MergeFrom(orig)); err != nil {
		return nil, fmt.Errorf("set PortalRequest %s Open: %w", key, err)
	}
	return obj, nil
}

// specOf records the claim's values with the defaults applied: what the
// request will get, not only what was typed.
func specOf(req Request, values map[string]any) (platformv1.PortalRequestSpec, error) {
	spec := platformv1.PortalRequestSpec{Blueprint: req.Blueprint, RequestedBy: req.RequestedBy}
	if spec.RequestedBy == "" {
		return spec, &ValidationError{Errs: field.ErrorList{field.Required(field.NewPath("requestedBy"), "sign in: a request names who made it")}}
	}
	raw, err := json.Marshal(nonNil(values))
	if err != nil {
		return spec, fmt.Errorf("values: %w", err)
	}
	spec.Values = &apiextensionsv1.JSON{Raw: raw}
	return spec, nil
}

func advancedOf(req Request) string {
	if len(req.Advanced) == 0 {
		return ""
	}
	raw, _ := json.Marshal(req.Advanced) // maps of JSON values always marshal
	return string(raw)
}

func nonNil(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func sameRequest(a, b platformv1.PortalRequestSpec) bool {
	if a.Blueprint != b.Blueprint || a.RequestedBy != b.RequestedBy || (a.Values == nil) != (b.Values == nil) {
		return false
	}
	if a.Values == nil {
		return true
	}
	var va, vb any
	if json.Unmarshal(a.Values.Raw, &va) != nil || json.Unmarshal(b.Values.Raw, &vb) != nil {
		return false
	}
	return reflect.DeepEqual(va, vb)
}

// team is the first of the requester's teams that owns the namespace.
func (s *Service) team(req Request) string {
	for _, t := range s.Teams.Of(req.Groups) {
		for _, ns := range t.Namespaces {
			if ns == req.Namespace {
				return t.Name
			}
		}
	}
	return ""
}

func (s *Service) author() forge.Signature {
	if s.Author.Name == "" {
		return DefaultAuthor
	}
	return s.Author
}

// List returns the requests of the caller's teams' namespaces, newest
// first.
func (s *Service) List(ctx context.Context, groups []string) ([]platformv1.PortalRequest, error) {
	mine := s.Teams.Namespaces(groups)
	if len(mine) == 0 {
		return nil, nil
	}
	var all platformv1.PortalRequestList
	if err := s.Kube.List(ctx, &all, client.InNamespace(s.Namespace), client.HasLabels{LabelNamespace}); err != nil {
		return nil, fmt.Errorf("list PortalRequests in %s: %w", s.Namespace, err)
	}
	var out []platformv1.PortalRequest
	for _, r := range all.Items {
		if s.Teams.Allows(groups, r.Labels[LabelNamespace]) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		ti, tj := out[i].CreationTimestamp, out[j].CreationTimestamp
		if !ti.Equal(&tj) {
			return tj.Before(&ti)
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// ErrNotFound is returned by Get for a request that does not exist.
var ErrNotFound = errors.New("no such request")

// Get returns one request of the caller's teams' namespaces.
func (s *Service) Get(ctx context.Context, groups []string, name string) (*platformv1.PortalRequest, error) {
	var r platformv1.PortalRequest
	if err := s.Kube.Get(ctx, client.ObjectKey{Namespace: s.Namespace, Name: name}, &r); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("request %s: %w", name, ErrNotFound)
		}
		return nil, fmt.Errorf("read PortalRequest %s: %w", name, err)
	}
	if !s.Teams.Allows(groups, r.Labels[LabelNamespace]) {
		return nil, fmt.Errorf("request %s in namespace %s: %w", name, r.Labels[LabelNamespace], ErrForbidden)
	}
	return &r, nil
}
