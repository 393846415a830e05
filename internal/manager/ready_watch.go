package manager

import (
	"context"
	"sync"
	"time"

	"github.com/go-logr/logr"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"
)

// +kubebuilder:rbac:groups=postgresql.cnpg.io,resources=clusters,verbs=get;list;watch
// +kubebuilder:rbac:groups=kafka.strimzi.io,resources=kafkas;kafkamirrormaker2s;kafkatopics;kafkausers,verbs=list;watch
// +kubebuilder:rbac:groups=cert-manager.io,resources=certificates;issuers;clusterissuers,verbs=list;watch
// +kubebuilder:rbac:groups=external-secrets.io,resources=externalsecrets;secretstores;clustersecretstores;pushsecrets,verbs=list;watch
// +kubebuilder:rbac:groups=kyverno.io,resources=clusterpolicies;policies,verbs=list;watch

// ReadyKindsPoll is how often the manager looks for ReadyKinds the API
// server has begun to serve (an operator installed after the manager).
const ReadyKindsPoll = time.Minute

// readyWatch watches each ReadyKind from when the API server serves it:
// a watch of a kind that is not served would hold the controller's start
// until its cache sync timed out. It runs on the leader with the
// reconciler, and lists for it from the cache only kinds whose cache has
// synced.
type readyWatch struct {
	mapper  apimeta.RESTMapper
	cache   cache.Cache
	ctrl    controller.Controller
	enqueue handler.EventHandler
	poll    time.Duration
	log     logr.Logger

	mu      sync.Mutex
	watched map[schema.GroupKind]schema.GroupVersionKind
}

// Start implements manager.Runnable.
func (w *readyWatch) Start(ctx context.Context) error {
	for {
		w.sync(w.log)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(w.poll):
		}
	}
}

// NeedLeaderElection implements manager.LeaderElectionRunnable.
func (w *readyWatch) NeedLeaderElection() bool { return true }

func (w *readyWatch) sync(log logr.Logger) {
	for _, k := range ReadyKinds {
		w.mu.Lock()
		_, done := w.watched[k.GroupKind()]
		w.mu.Unlock()
		if done {
			continue
		}
		gvk, ok := w.served(k)
		if !ok {
			continue
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(gvk)
		src := source.Kind(w.cache, client.Object(u), w.enqueue, predicate.NewPredicateFuncs(fluxOwned))
		if err := w.ctrl.Watch(src); err != nil {
			log.Error(err, "watch", "kind", gvk.String())
			continue
		}
		log.Info("watching", "kind", gvk.String())
		w.mu.Lock()
		w.watched[k.GroupKind()] = gvk
		w.mu.Unlock()
	}
}

// served is the first of k's versions the API server serves.
func (w *readyWatch) served(k ReadyKind) (schema.GroupVersionKind, bool) {
	for _, v := range k.Versions {
		if _, err := w.mapper.RESTMapping(k.GroupKind(), v); err == nil {
			return k.GroupKind().WithVersion(v), true
		}
	}
	return schema.GroupVersionKind{}, false
}

// list is the reconciler's readyLister: from the cache, for kinds watched
// whose cache has synced (the first events enqueue a reconcile anyway).
func (w *readyWatch) list(ctx context.Context, k ReadyKind, owner string) ([]unstructured.Unstructured, bool, error) {
	w.mu.Lock()
	gvk, ok := w.watched[k.GroupKind()]
	w.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	inf, err := w.cache.GetInformer(ctx, u, cache.BlockUntilSynced(false))
	if err != nil || !inf.HasSynced() {
		return nil, false, nil
	}
	list := &unstructured.UnstructuredList{}
	list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
	if err := w.cache.List(ctx, list, client.HasLabels{owner}); err != nil {
		return nil, false, err
	}
	return list.Items, true, nil
}
