package manager

import (
	"context"
	"fmt"
	"slices"
	"sort"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// +kubebuilder:rbac:groups=apps,resources=deployments;statefulsets;daemonsets,verbs=get;list;watch
// +kubebuilder:rbac:groups=batch,resources=jobs;cronjobs,verbs=get;list;watch

// workloadKinds are the built-in kinds the manager judges (always served,
// so always watched); the operators' kinds are ReadyKinds.
func workloadKinds() []client.Object {
	return []client.Object{&appsv1.Deployment{}, &appsv1.StatefulSet{}, &appsv1.DaemonSet{}, &batchv1.Job{}, &batchv1.CronJob{}}
}

// readyLister lists the objects of one ready kind carrying the owner
// label; ok is false when the kind is not served (or not yet readable).
type readyLister func(ctx context.Context, k ReadyKind, owner string) (items []unstructured.Unstructured, ok bool, err error)

// workloads lists the workloads of every Flux object: from the cache when
// the reconciler runs in a manager, else straight from the Client.
func (r *Reconciler) workloads(ctx context.Context) (map[Key][]Workload, error) {
	if r.ready != nil {
		return listWorkloads(ctx, r.Client, r.ready.list)
	}
	return ListWorkloads(ctx, r.Client)
}

// ListWorkloads lists everything a Flux object applied (by Flux's origin
// labels; other objects are not read) whose health the manager judges:
// Deployments, StatefulSets, DaemonSets, Jobs, CronJobs (with the Jobs
// they created) and the operator kinds of ReadyKinds that the API server
// serves; by owner, each sorted by kind, namespace and name.
func ListWorkloads(ctx context.Context, c client.Reader) (map[Key][]Workload, error) {
	return listWorkloads(ctx, c, func(ctx context.Context, k ReadyKind, owner string) ([]unstructured.Unstructured, bool, error) {
		for _, v := range k.Versions {
			list := &unstructured.UnstructuredList{}
			list.SetAPIVersion(k.Group + "/" + v)
			list.SetKind(k.Kind + "List")
			err := c.List(ctx, list, client.HasLabels{owner})
			if apimeta.IsNoMatchError(err) {
				continue
			}
			if err != nil {
				return nil, false, fmt.Errorf("list %s.%s: %w", k.Resource, k.Group, err)
			}
			return list.Items, true, nil
		}
		return nil, false, nil
	})
}

func listWorkloads(ctx context.Context, c client.Reader, ready readyLister) (map[Key][]Workload, error) {
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
		if err := listJobs(ctx, c, sel, add); err != nil {
			return nil, err
		}
		for _, k := range ReadyKinds {
			items, _, err := ready(ctx, k, owner)
			if err != nil {
				return nil, err
			}
			for i := range items {
				add(items[i].GetLabels(), ReadyWorkload(&items[i], k))
			}
		}
	}
	for k, ws := range out {
		sort.Slice(ws, func(i, j int) bool { return ws[i].String() < ws[j].String() })
		out[k] = slices.CompactFunc(ws, func(a, b Workload) bool { return a.String() == b.String() }) // both owner labels
	}
	return out, nil
}

// listJobs adds the Jobs and CronJobs carrying the owner label; a CronJob
// is judged with the Jobs of its namespace (it created them unlabelled).
func listJobs(ctx context.Context, c client.Reader, sel client.HasLabels, add func(map[string]string, Workload)) error {
	var jobs batchv1.JobList
	if err := c.List(ctx, &jobs, sel); err != nil {
		return fmt.Errorf("list Jobs: %w", err)
	}
	for i := range jobs.Items {
		add(jobs.Items[i].Labels, JobWorkload(&jobs.Items[i]))
	}
	var cjs batchv1.CronJobList
	if err := c.List(ctx, &cjs, sel); err != nil {
		return fmt.Errorf("list CronJobs: %w", err)
	}
	created := map[string][]batchv1.Job{} // by namespace
	for i := range cjs.Items {
		cj := &cjs.Items[i]
		ns, done := created[cj.Namespace]
		if !done {
			var all batchv1.JobList
			if err := c.List(ctx, &all, client.InNamespace(cj.Namespace)); err != nil {
				return fmt.Errorf("list the Jobs of CronJobs in %s: %w", cj.Namespace, err)
			}
			ns = all.Items
			created[cj.Namespace] = ns
		}
		add(cj.Labels, CronJobWorkload(cj, ns))
	}
	return nil
}

// fluxOwned passes only objects a Flux controller applied.
func fluxOwned(o client.Object) bool {
	_, ok := OwnerOf(o.GetLabels())
	return ok
}

// CacheOptions are the manager's cache options: every workload kind and
// ready kind is cached cluster-wide, each trimmed to what its judgement
// reads (no pod templates, specs, annotations or managed fields).
func CacheOptions() cache.Options {
	return cache.Options{ByObject: workloadCache(), DefaultTransform: func(in any) (any, error) {
		u, ok := in.(*unstructured.Unstructured)
		if !ok || !isReadyKind(u) {
			return in, nil
		}
		return trimReady(u), nil
	}}
}

func isReadyKind(u *unstructured.Unstructured) bool {
	gk := u.GroupVersionKind().GroupKind()
	for _, k := range ReadyKinds {
		if k.GroupKind() == gk {
			return true
		}
	}
	return false
}

func workloadCache() map[client.Object]cache.ByObject {
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
		// Every Job, labelled or not: a CronJob's runs carry no origin labels.
		&batchv1.Job{}: {Transform: func(in any) (any, error) {
			j, ok := in.(*batchv1.Job)
			if !ok {
				return in, nil
			}
			m := trimMeta(j.ObjectMeta)
			m.OwnerReferences, m.CreationTimestamp = j.OwnerReferences, j.CreationTimestamp
			return &batchv1.Job{TypeMeta: j.TypeMeta, ObjectMeta: m,
				Spec: batchv1.JobSpec{BackoffLimit: j.Spec.BackoffLimit, Suspend: j.Spec.Suspend}, Status: j.Status}, nil
		}},
		&batchv1.CronJob{}: {Transform: func(in any) (any, error) {
			cj, ok := in.(*batchv1.CronJob)
			if !ok {
				return in, nil
			}
			return &batchv1.CronJob{TypeMeta: cj.TypeMeta, ObjectMeta: trimMeta(cj.ObjectMeta),
				Spec: batchv1.CronJobSpec{Suspend: cj.Spec.Suspend}, Status: cj.Status}, nil
		}},
	}
}

func trimMeta(m metav1.ObjectMeta) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: m.Name, Namespace: m.Namespace, UID: m.UID, ResourceVersion: m.ResourceVersion,
		Generation: m.Generation, Labels: m.Labels}
}
