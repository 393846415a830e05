package portal

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/generate"
	"github.com/openova-io/openova/internal/generate/flux"
	"github.com/openova-io/openova/internal/instance"
	"github.com/openova-io/openova/internal/portal/render"
)

// TargetOf reads the instance a request lands in from a snapshot of the
// instance repository: its tenant, regions (in instance.yaml's order, the
// first primary, as the generator has it), registry and chart mirrors
// and archival S3. Service.Submit then puts the active region first (WithActive).
func TargetOf(files map[string][]byte) (render.Target, error) {
	raw, ok := files[generate.SpecFile]
	if !ok {
		return render.Target{}, fmt.Errorf("%s: not in the instance repository; seed it with catalyst seed first", generate.SpecFile)
	}
	in, err := instance.Parse(raw)
	if err != nil {
		return render.Target{}, fmt.Errorf("%s in the instance repository: %w", generate.SpecFile, err)
	}
	instance.SetDefaults(in)
	s := in.Spec
	t := render.Target{Tenant: s.Tenant, Registry: flux.DefaultRegistry, ChartMirror: s.Mirror.Charts,
		ArchivalEndpoint: s.Archival.Endpoint, ArchivalBucket: s.Archival.Bucket}
	if s.Mirror.Registry != "" {
		t.Registry = strings.TrimSuffix(s.Mirror.Registry, "/")
	}
	for _, r := range s.Regions {
		t.Regions = append(t.Regions, r.Name)
	}
	if len(t.Regions) == 0 {
		return render.Target{}, fmt.Errorf("%s: spec.regions is empty; the instance needs a region", generate.SpecFile)
	}
	return t, nil
}

// WithActive puts the active region first: after a failover the primary of
// a new request's topology is where the platform's primaries now are, not
// the first region of instance.yaml. The FailoverGroups in this cluster
// say which region is active; none (or none about the instance's regions)
// keeps instance.yaml's order.
func WithActive(t render.Target, groups []failoverv1.FailoverGroup) (render.Target, error) {
	active, err := ActiveRegion(t.Regions, groups)
	if err != nil || active == "" || active == t.Regions[0] {
		return t, err
	}
	regions := []string{active}
	for _, r := range t.Regions {
		if r != active {
			regions = append(regions, r)
		}
	}
	t.Regions = regions
	return t, nil
}

// ActiveRegion is the region the FailoverGroups name as active: a group
// whose controller is ACTIVE names its own region; any other state names
// the lease holder the witness last reported. Groups about other regions
// and groups with no answer yet (no holder) are ignored; "" means no
// answer. Groups that disagree are an error: a failover is in flight.
func ActiveRegion(regions []string, groups []failoverv1.FailoverGroup) (string, error) {
	active, from := "", ""
	for _, g := range groups {
		if !slices.Contains(regions, g.Spec.Region) {
			continue
		}
		vote := g.Status.Holder
		if g.Status.State == failoverv1.StateActive {
			vote = g.Spec.Region
		}
		if !slices.Contains(regions, vote) {
			continue
		}
		name := g.Namespace + "/" + g.Name
		if active != "" && vote != active {
			return "", fmt.Errorf("FailoverGroups %s and %s disagree on the active region (%s, %s): a failover is in progress; submit the request again once it settles (catalyst failover status)",
				from, name, active, vote)
		}
		active, from = vote, name
	}
	return active, nil
}

// Target is the instance of snap (a snapshot of the instance repository)
// with the active region first, as this cluster's FailoverGroups say.
func (s *Service) Target(ctx context.Context, snap map[string][]byte) (render.Target, error) {
	t, err := TargetOf(snap)
	if err != nil || len(t.Regions) < 2 {
		return t, err
	}
	groups, err := s.failoverGroups(ctx)
	if err != nil {
		return t, err
	}
	return WithActive(t, groups)
}

// failoverGroups lists every FailoverGroup of this cluster, read as
// unstructured so the portal's client needs no scheme for them; an API
// server without the CRD has none.
func (s *Service) failoverGroups(ctx context.Context) ([]failoverv1.FailoverGroup, error) {
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(failoverv1.GroupVersion.WithKind("FailoverGroupList"))
	if err := s.Kube.List(ctx, list); err != nil {
		if meta.IsNoMatchError(err) || apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("list FailoverGroups (which region is active): %w", err)
	}
	out := make([]failoverv1.FailoverGroup, len(list.Items))
	for i, u := range list.Items {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &out[i]); err != nil {
			return nil, fmt.Errorf("FailoverGroup %s/%s: %w", u.GetNamespace(), u.GetName(), err)
		}
	}
	return out, nil
}
