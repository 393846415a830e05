package actuator

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
)

// MirrorMaker2 is the Kafka actuator: data must always flow from the active
// region to the standby. A "pull" KafkaMirrorMaker2 (target: this region's
// Kafka, source: the peer's) runs only while this region is standby; a
// "push" one (target: the peer) only while this region is active. Running
// or stopped is set on every mirror's source and checkpoint connectors
// (spec.mirrors[].sourceConnector.state / checkpointConnector.state), which
// keeps the Connect cluster and its offsets for the reverse direction.
type MirrorMaker2 struct {
	Client          client.Client
	Namespace, Mirr string
	Direction       failoverv1.MirrorDirection
}

// NewMirrorMaker2 returns the actuator of one FailoverGroup entry.
func NewMirrorMaker2(c client.Client, namespace string, m failoverv1.MirrorMaker2) *MirrorMaker2 {
	d := m.Direction
	if d == "" {
		d = failoverv1.MirrorPull
	}
	return &MirrorMaker2{Client: c, Namespace: orNamespace(m.Namespace, namespace), Mirr: m.Name, Direction: d}
}

func (a *MirrorMaker2) Name() string {
	return fmt.Sprintf("mirrormaker2 %s/%s (%s)", a.Namespace, a.Mirr, a.Direction)
}

func (a *MirrorMaker2) Activate(ctx context.Context, epoch uint64) error {
	return a.set(ctx, epoch, RoleActive, a.Direction == failoverv1.MirrorPush)
}

func (a *MirrorMaker2) Deactivate(ctx context.Context, epoch uint64) error {
	return a.set(ctx, epoch, RoleStandby, a.Direction == failoverv1.MirrorPull)
}

// Fence stops a push mirror (this region may no longer be the source of
// truth) and leaves a pull mirror as it is: it starts only on Deactivate,
// once the peer is known to be active.
func (a *MirrorMaker2) Fence(ctx context.Context, epoch uint64) error {
	if a.Direction == failoverv1.MirrorPull {
		_, err := guardedUpdate(ctx, a.Client, a.obj(), epoch, func(o client.Object) error {
			setRole(o, RoleFenced)
			return nil
		})
		return err
	}
	return a.set(ctx, epoch, RoleFenced, false)
}

func (a *MirrorMaker2) Observe(ctx context.Context) (Observation, error) {
	u := a.obj()
	if err := a.Client.Get(ctx, client.ObjectKeyFromObject(u), u); err != nil {
		return Observation{}, fmt.Errorf("%s: read: %w", a.Name(), err)
	}
	epoch, err := stampedEpoch(a.Name(), u.GetAnnotations())
	if err != nil {
		return Observation{}, err
	}
	mirrors, _, _ := unstructured.NestedSlice(u.Object, "spec", "mirrors")
	running := len(mirrors) > 0
	for _, m := range mirrors {
		mm, _ := m.(map[string]any)
		if st, _, _ := unstructured.NestedString(mm, "sourceConnector", "state"); st != "" && st != "running" {
			running = false
		}
	}
	role := Role(u.GetAnnotations()[failoverv1.RoleAnnotation])
	return Observation{Role: role, Epoch: epoch, Confirmed: strimziReady(u), Detail: fmt.Sprintf("connectors running=%t", running)}, nil
}

func (a *MirrorMaker2) obj() *unstructured.Unstructured {
	return newUnstructured(mirrorMaker2GVK, a.Namespace, a.Mirr)
}

func (a *MirrorMaker2) set(ctx context.Context, epoch uint64, role Role, run bool) error {
	state := "stopped"
	if run {
		state = "running"
	}
	_, err := guardedUpdate(ctx, a.Client, a.obj(), epoch, func(o client.Object) error {
		u := o.(*unstructured.Unstructured)
		mirrors, found, err := unstructured.NestedSlice(u.Object, "spec", "mirrors")
		if err != nil || !found || len(mirrors) == 0 {
			return fmt.Errorf("%s: spec.mirrors is empty or unreadable; nothing to switch", a.Name())
		}
		for i, m := range mirrors {
			mm, ok := m.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: spec.mirrors[%d] is not an object", a.Name(), i)
			}
			for _, conn := range []string{"sourceConnector", "checkpointConnector"} {
				if err := unstructured.SetNestedField(mm, state, conn, "state"); err != nil {
					return err
				}
			}
			mirrors[i] = mm
		}
		setRole(u, role)
		return unstructured.SetNestedSlice(u.Object, mirrors, "spec", "mirrors")
	})
	return err
}

// strimziReady: Strimzi reports status.observedGeneration and a Ready
// condition once it has reconciled the current spec.
func strimziReady(u *unstructured.Unstructured) bool {
	gen, _, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration")
	if gen != u.GetGeneration() {
		return false
	}
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == "Ready" {
			return m["status"] == "True"
		}
	}
	return false
}
