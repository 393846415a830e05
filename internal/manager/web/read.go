package web

import (
	"context"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/manager"
)

// maxEvents per node: the recent ones say why; kubectl describe has the rest.
const maxEvents = 5

func (s *server) instances(ctx context.Context) ([]Instance, error) {
	var pis platformv1.PlatformInstanceList
	if err := s.reader.List(ctx, &pis); err != nil {
		return nil, fmt.Errorf("list PlatformInstances: %w", err)
	}
	var bps platformv1.BlueprintList
	if err := s.reader.List(ctx, &bps); err != nil {
		return nil, fmt.Errorf("list Blueprints: %w", err)
	}
	byName := map[string]*platformv1.Blueprint{}
	for i := range bps.Items {
		byName[bps.Items[i].Name] = &bps.Items[i]
	}
	sort.Slice(pis.Items, func(i, j int) bool { return pis.Items[i].Name < pis.Items[j].Name })
	return Instances(pis.Items, byName), nil
}

func (s *server) graph(ctx context.Context) (Graph, error) {
	workloads, err := manager.ListWorkloads(ctx, s.reader)
	if err != nil {
		return Graph{}, err
	}
	var objs []FluxObject
	for _, gvk := range []schema.GroupVersionKind{manager.HelmReleaseGVK, manager.KustomizationGVK} {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
		if err := s.reader.List(ctx, list); err != nil {
			return Graph{}, fmt.Errorf("list %ss: %w", gvk.Kind, err)
		}
		for i := range list.Items {
			u := &list.Items[i]
			o, err := manager.Observe(u)
			if err != nil {
				return Graph{}, fmt.Errorf("%s %s/%s: %w", gvk.Kind, u.GetNamespace(), u.GetName(), err)
			}
			o.Workloads = workloads[manager.Key{Kind: platformv1.ReleaseKind(gvk.Kind), Namespace: u.GetNamespace(), Name: u.GetName()}]
			objs = append(objs, FluxObject{Kind: gvk.Kind, Namespace: u.GetNamespace(), Name: u.GetName(),
				Component: u.GetLabels()[manager.BlueprintLabel], DependsOn: dependsOn(u), Observation: o})
		}
	}
	events, err := s.events(ctx)
	if err != nil {
		return Graph{}, err
	}
	return BuildGraph(objs, events), nil
}

// dependsOn reads spec.dependsOn (name, optional namespace) as namespace/name.
func dependsOn(u *unstructured.Unstructured) []string {
	deps, _, _ := unstructured.NestedSlice(u.Object, "spec", "dependsOn")
	var out []string
	for _, d := range deps {
		m, ok := d.(map[string]any)
		if !ok {
			continue
		}
		name, _ := m["name"].(string)
		ns, _ := m["namespace"].(string)
		if ns == "" {
			ns = u.GetNamespace()
		}
		out = append(out, ns+"/"+name)
	}
	return out
}

// events are the recent Events of Flux objects, newest first, by namespace/name.
func (s *server) events(ctx context.Context) (map[string][]Event, error) {
	out := map[string][]Event{}
	for _, kind := range []string{"HelmRelease", "Kustomization"} {
		var list corev1.EventList
		if err := s.reader.List(ctx, &list, client.MatchingFields{"involvedObject.kind": kind}); err != nil {
			return nil, fmt.Errorf("list Events of %ss: %w", kind, err)
		}
		for _, e := range list.Items {
			last := e.LastTimestamp
			if last.IsZero() {
				last.Time = e.EventTime.Time
			}
			id := e.InvolvedObject.Namespace + "/" + e.InvolvedObject.Name
			out[id] = append(out[id], Event{Type: e.Type, Reason: e.Reason, Message: e.Message, Count: e.Count, Last: last})
		}
	}
	for id, evs := range out {
		sort.SliceStable(evs, func(i, j int) bool { return evs[i].Last.After(evs[j].Last.Time) })
		if len(evs) > maxEvents {
			evs = evs[:maxEvents]
		}
		out[id] = evs
	}
	return out, nil
}

func (s *server) requests(ctx context.Context) ([]Request, error) {
	var list platformv1.PortalRequestList
	if err := s.reader.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("list PortalRequests: %w", err)
	}
	return Requests(list.Items), nil
}
