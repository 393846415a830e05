package actuator

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
)

// FieldOwner names the controller in managedFields.
const FieldOwner = "openova-failover-controller"

// Upstream kinds the actuators patch; tests install their CRDs.
var (
	cnpgClusterGVK  = schema.GroupVersionKind{Group: "postgresql.cnpg.io", Version: "v1", Kind: "Cluster"}
	mirrorMaker2GVK = schema.GroupVersionKind{Group: "kafka.strimzi.io", Version: "v1", Kind: "KafkaMirrorMaker2"}
	httpRouteGVK    = schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "HTTPRoute"}
)

// guardedUpdate reads obj, refuses a stale epoch, applies mutate and, if
// anything changed, sends one merge patch stamped with the epoch and
// carrying the resourceVersion it read: a concurrent writer makes the patch
// fail with a conflict (then it is re-read and re-judged), so the epoch
// check and the change are atomic. It returns whether a patch was sent.
func guardedUpdate(ctx context.Context, c client.Client, obj client.Object, epoch uint64, mutate func(client.Object) error) (bool, error) {
	key := client.ObjectKeyFromObject(obj)
	name := describe(obj)
	patched := false
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := c.Get(ctx, key, obj); err != nil {
			return fmt.Errorf("%s: read: %w", name, err)
		}
		if err := checkEpoch(name, obj.GetAnnotations(), epoch); err != nil {
			return err
		}
		before := obj.DeepCopyObject().(client.Object)
		if err := mutate(obj); err != nil {
			return err
		}
		stamp(obj, epoch)
		if equality.Semantic.DeepEqual(before, obj) {
			return nil
		}
		patch := client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})
		if err := c.Patch(ctx, obj, patch, client.FieldOwner(FieldOwner)); err != nil {
			return fmt.Errorf("%s: patch at epoch %d: %w", name, epoch, err)
		}
		patched = true
		return nil
	})
	return patched, err
}

func stamp(obj client.Object, epoch uint64) {
	a := obj.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[failoverv1.EpochAnnotation] = epochString(epoch)
	obj.SetAnnotations(a)
}

func setRole(obj client.Object, role Role) {
	a := obj.GetAnnotations()
	if a == nil {
		a = map[string]string{}
	}
	a[failoverv1.RoleAnnotation] = string(role)
	obj.SetAnnotations(a)
}

func newUnstructured(gvk schema.GroupVersionKind, namespace, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

func describe(obj client.Object) string {
	kind := obj.GetObjectKind().GroupVersionKind().Kind
	switch obj.(type) {
	case *corev1.Service:
		kind = "Service"
	case *discoveryv1.EndpointSlice:
		kind = "EndpointSlice"
	}
	return fmt.Sprintf("%s %s/%s", kind, obj.GetNamespace(), obj.GetName())
}

func orNamespace(ns, def string) string {
	if ns == "" {
		return def
	}
	return ns
}
