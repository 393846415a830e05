package manager

import (
	"context"
	"fmt"
	"slices"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// +kubebuilder:rbac:groups=apps,resources=deployments;statefulsets;daemonsets,verbs=get;list;watch

// workloadKinds are the objects whose pods the manager counts.
func workloadKinds() []client.Object {
	return []client.Object{&appsv1.Deployment{}, &appsv1.StatefulSet{}, &appsv1.DaemonSet{}}
}

// workloads lists the workloads of every Flux object from the cache.
func (r *Reconciler) workloads(ctx context.Context) (map[Key][]Workload, error) {
	return ListWorkloads(ctx, r.Client)
}

// ListWorkloads lists every Deployment, StatefulSet and DaemonSet a Flux
// object applied (by Flux's origin labels; other objects are not read),
// by owner, each sorted by kind, namespace and name.
func ListWorkloads(ctx context.Context, c client.Reader) (map[Key][]Workload, error) {
	out := map[Key][]Workload{}
	add := func(labels map[string]string, w Workload) {
		if k, ok := OwnerOf(labels); ok {
			out[k] = append(out[k], w)
		}
	}
	for _, owner := range []string{HelmNameLabel, KustomizeNameLabel} {
		sel := client.HasLabels{owner}
		var deps appsv1.DeploymentList
		if err := c.List(ctx, &deps, sel); err != nil {
			return nil, fmt.Errorf("list Deployments: %w", err)
		}
		for i := range deps.Items {
			add(deps.Items[i].Labels, DeploymentWorkload(&deps.Items[i]))
		}
		var sts appsv1.StatefulSetList
		if err := c.List(ctx, &sts, sel); err != nil {
			return nil, fmt.Errorf("list StatefulSets: %w", err)
		}
		for i := range sts.Items {
			add(sts.Items[i].Labels, StatefulSetWorkload(&sts.Items[i]))
		}
		var dss appsv1.DaemonSetList
		if err := c.List(ctx, &dss, sel); err != nil {
			return nil, fmt.Errorf("list DaemonSets: %w", err)
		}
		for i := range dss.Items {
			add(dss.Items[i].Labels, DaemonSetWorkload(&dss.Items[i]))
		}
	}
	for k, ws := range out {
		sort.Slice(ws, func(i, j int) bool { return ws[i].String() < ws[j].String() })
		out[k] = slices.CompactFunc(ws, func(a, b Workload) bool { return a.String() == b.String() }) // both owner labels
	}
	return out, nil
}

// fluxOwned passes only objects a Flux controller applied.
func fluxOwned(o client.Object) bool {
	_, ok := OwnerOf(o.GetLabels())
	return ok
}

// WorkloadCache keeps of each cached workload only what Workload reads
// (no pod templates, annotations or managed fields): the manager caches
// every Deployment, StatefulSet and DaemonSet of the cluster.
func WorkloadCache() map[client.Object]cache.ByObject {
	return map[client.Object]cache.ByObject{
		&appsv1.Deployment{}: {Transform: func(in any) (any, error) {
			d, ok := in.(*appsv1.Deployment)
			if !ok {
				return in, nil
			}
			return &appsv1.Deployment{TypeMeta: d.TypeMeta, ObjectMeta: trimMeta(d.ObjectMeta),
				Spec: appsv1.DeploymentSpec{Replicas: d.Spec.Replicas}, Status: d.Status}, nil
		}},
		&appsv1.StatefulSet{}: {Transform: func(in any) (any, error) {
			s, ok := in.(*appsv1.StatefulSet)
			if !ok {
				return in, nil
			}
			return &appsv1.StatefulSet{TypeMeta: s.TypeMeta, ObjectMeta: trimMeta(s.ObjectMeta),
				Spec: appsv1.StatefulSetSpec{Replicas: s.Spec.Replicas, UpdateStrategy: s.Spec.UpdateStrategy}, Status: s.Status}, nil
		}},
		&appsv1.DaemonSet{}: {Transform: func(in any) (any, error) {
			d, ok := in.(*appsv1.DaemonSet)
			if !ok {
				return in, nil
			}
			return &appsv1.DaemonSet{TypeMeta: d.TypeMeta, ObjectMeta: trimMeta(d.ObjectMeta),
				Spec: appsv1.DaemonSetSpec{UpdateStrategy: d.Spec.UpdateStrategy}, Status: d.Status}, nil
		}},
	}
}

func trimMeta(m metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion,
		Generation: m.Generation, Labels: m.Labels}
}
