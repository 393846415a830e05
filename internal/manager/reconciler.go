package manager

import (
	"context"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

// Resync re-reads every instance on this period in case a watch event was
// missed; watches make changes visible well before.
const Resync = 5 * time.Minute

// Reconciler writes health, support and drift into PlatformInstance status.
type Reconciler struct {
	Client  client.Client
	Metrics *Metrics // may be nil
	Now     func() time.Time

	// ready lists the operators' kinds from the cache (SetupWithManager);
	// nil: from Client.
	ready *readyWatch
}

// +kubebuilder:rbac:groups=platform.openova.io,resources=platforminstances;blueprints,verbs=get;list;watch
// +kubebuilder:rbac:groups=platform.openova.io,resources=platforminstances/status;blueprints/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=helm.toolkit.fluxcd.io,resources=helmreleases,verbs=get;list;watch
// +kubebuilder:rbac:groups=kustomize.toolkit.fluxcd.io,resources=kustomizations,verbs=get;list;watch

// Reconcile implements reconcile.Reconciler.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var pi platformv1.PlatformInstance
	if err := r.Client.Get(ctx, req.NamespacedName, &pi); err != nil {
		if apierrors.IsNotFound(err) {
			if r.Metrics != nil {
				r.Metrics.Forget(req.Name)
			}
			return reconcile.Result{}, nil
		}
		return reconcile.Result{}, err
	}
	var bps platformv1.BlueprintList
	if err := r.Client.List(ctx, &bps); err != nil {
		return reconcile.Result{}, fmt.Errorf("list Blueprints: %w", err)
	}
	blueprints := make(map[string]*platformv1.Blueprint, len(bps.Items))
	for i := range bps.Items {
		blueprints[bps.Items[i].Name] = &bps.Items[i]
	}
	workloads, err := r.workloads(ctx)
	if err != nil {
		return reconcile.Result{}, err
	}
	obs := map[Key]Observation{}
	for _, c := range pi.Spec.Components {
		for _, ref := range c.Releases {
			k := keyOf(ref)
			if _, done := obs[k]; done {
				continue
			}
			o, err := r.observe(ctx, k)
			if err != nil {
				return reconcile.Result{}, err
			}
			o.Workloads = workloads[k]
			obs[k] = o
		}
	}

	st := Evaluate(pi.Spec, obs, blueprints)
	st.ObservedGeneration = pi.Generation
	// A copy: SetConditions edits in place, and pi.Status is the patch base.
	st.Conditions = slices.Clone(pi.Status.Conditions)
	SetConditions(&st, pi.Generation, r.Now())
	if r.Metrics != nil {
		r.Metrics.Record(pi.Name, st)
	}
	if !equality.Semantic.DeepEqual(st, pi.Status) {
		patch := client.MergeFrom(pi.DeepCopy())
		pi.Status = st
		if err := r.Client.Status().Patch(ctx, &pi, patch); err != nil {
			return reconcile.Result{}, fmt.Errorf("PlatformInstance %s: patch status: %w", pi.Name, err)
		}
	}
	available, err := r.announceUpgrades(ctx, pi.Spec.Components, blueprints)
	if err != nil {
		return reconcile.Result{}, err
	}
	if r.Metrics != nil {
		r.Metrics.RecordUpgrades(pi.Name, available)
	}
	return reconcile.Result{RequeueAfter: Resync}, nil
}

// announceUpgrades writes each installed component's Blueprint status: the
// installed version and whether a newer one is available, which it
// returns by component (components without a Blueprint are left out).
func (r *Reconciler) announceUpgrades(ctx context.Context, comps []platformv1.InstalledComponent, bps map[string]*platformv1.Blueprint) (map[string]bool, error) {
	available := map[string]bool{}
	for _, c := range comps {
		bp := bps[c.Name]
		if bp == nil {
			continue
		}
		st := UpgradeStatus(bp, c.BlueprintVersion, r.Now())
		available[c.Name] = meta.IsStatusConditionTrue(st.Conditions, platformv1.ConditionUpgradeAvailable)
		if equality.Semantic.DeepEqual(st, bp.Status) {
			continue
		}
		patch := client.MergeFrom(bp.DeepCopy())
		bp.Status = st
		if err := r.Client.Status().Patch(ctx, bp, patch); err != nil {
			return nil, fmt.Errorf("Blueprint %s: patch status: %w", bp.Name, err)
		}
	}
	return available, nil
}

func (r *Reconciler) observe(ctx context.Context, k Key) (Observation, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(GVK(k.Kind))
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: k.Namespace, Name: k.Name}, u)
	if apierrors.IsNotFound(err) {
		return Observation{}, nil
	}
	if err != nil {
		return Observation{}, fmt.Errorf("get %s: %w", k, err)
	}
	o, err := Observe(u)
	if err != nil {
		return Observation{}, fmt.Errorf("read %s: %w", k, err)
	}
	return o, nil
}

// SetupWithManager watches PlatformInstances, Blueprints, the Flux
// objects and the workloads they applied; any such change re-evaluates
// every instance (a cluster has one or a few).
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	if r.Now == nil {
		r.Now = time.Now
	}
	all := handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, _ client.Object) []reconcile.Request {
		var list platformv1.PlatformInstanceList
		if err := mgr.GetClient().List(ctx, &list); err != nil {
			mgr.GetLogger().Error(err, "list PlatformInstances")
			return nil
		}
		reqs := make([]reconcile.Request, 0, len(list.Items))
		for _, pi := range list.Items {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Name: pi.Name}})
		}
		return reqs
	})
	hr, ks := &unstructured.Unstructured{}, &unstructured.Unstructured{}
	hr.SetGroupVersionKind(HelmReleaseGVK)
	ks.SetGroupVersionKind(KustomizationGVK)
	b := ctrl.NewControllerManagedBy(mgr).
		Named("platforminstance").
		For(&platformv1.PlatformInstance{}).
		Watches(&platformv1.Blueprint{}, all).
		Watches(hr, all).
		Watches(ks, all)
	for _, w := range workloadKinds() {
		b = b.Watches(w, all, builder.WithPredicates(predicate.NewPredicateFuncs(fluxOwnedOrCronRun)))
	}
	c, err := b.Build(r)
	if err != nil {
		return err
	}
	// The operators' kinds are watched from when they are served.
	r.ready = &readyWatch{mapper: mgr.GetRESTMapper(), cache: mgr.GetCache(), ctrl: c, enqueue: all, poll: ReadyKindsPoll,
		log: mgr.GetLogger().WithName("ready-kinds"), watched: map[schema.GroupKind]schema.GroupVersionKind{}}
	return mgr.Add(r.ready)
}

// fluxOwnedOrCronRun passes objects a Flux controller applied, and the
// Jobs CronJobs create (unlabelled): a failed run changes its CronJob's
// health.
func fluxOwnedOrCronRun(o client.Object) bool {
	if fluxOwned(o) {
		return true
	}
	ref := metav1.GetControllerOf(o)
	return ref != nil && ref.Kind == "CronJob"
}
