package actuator

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
)

// Cilium Cluster Mesh global-service annotations.
const (
	CiliumGlobal   = "service.cilium.io/global"
	CiliumShared   = "service.cilium.io/shared"
	CiliumAffinity = "service.cilium.io/affinity"
)

// GlobalService is the internal-traffic actuator. The Service stays global
// on both sides; the active region shares its backends with the mesh and
// prefers them (affinity local by default), the standby region stops
// sharing and prefers the active region's (affinity remote by default). On
// failover only the surviving side's annotations change.
type GlobalService struct {
	Client          client.Client
	Namespace, Svc  string
	ActiveAffinity  failoverv1.Affinity
	StandbyAffinity failoverv1.Affinity
}

// NewGlobalService returns the actuator of one FailoverGroup global service.
func NewGlobalService(c client.Client, namespace string, s failoverv1.GlobalService) *GlobalService {
	g := &GlobalService{Client: c, Namespace: orNamespace(s.Namespace, namespace), Svc: s.Name,
		ActiveAffinity: s.ActiveAffinity, StandbyAffinity: s.StandbyAffinity}
	if g.ActiveAffinity == "" {
		g.ActiveAffinity = failoverv1.AffinityLocal
	}
	if g.StandbyAffinity == "" {
		g.StandbyAffinity = failoverv1.AffinityRemote
	}
	return g
}

func (g *GlobalService) Name() string { return "cilium " + g.Namespace + "/" + g.Svc }

func (g *GlobalService) Activate(ctx context.Context, epoch uint64) error {
	return g.set(ctx, epoch, RoleActive, "true", g.ActiveAffinity)
}

func (g *GlobalService) Deactivate(ctx context.Context, epoch uint64) error {
	return g.set(ctx, epoch, RoleStandby, "false", g.StandbyAffinity)
}

// Fence is Deactivate: one local annotation patch.
func (g *GlobalService) Fence(ctx context.Context, epoch uint64) error {
	return g.set(ctx, epoch, RoleFenced, "false", g.StandbyAffinity)
}

func (g *GlobalService) Observe(ctx context.Context) (Observation, error) {
	var svc corev1.Service
	if err := g.Client.Get(ctx, client.ObjectKey{Namespace: g.Namespace, Name: g.Svc}, &svc); err != nil {
		return Observation{}, fmt.Errorf("%s: read Service: %w", g.Name(), err)
	}
	a := svc.Annotations
	epoch, err := stampedEpoch(g.Name(), a)
	if err != nil {
		return Observation{}, err
	}
	role := RoleStandby
	if a[CiliumShared] == "true" {
		role = RoleActive
	}
	return Observation{Role: role, Epoch: epoch, Confirmed: a[CiliumGlobal] == "true",
		Detail: fmt.Sprintf("global=%s shared=%s affinity=%s", a[CiliumGlobal], a[CiliumShared], a[CiliumAffinity])}, nil
}

func (g *GlobalService) set(ctx context.Context, epoch uint64, role Role, shared string, affinity failoverv1.Affinity) error {
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: g.Namespace, Name: g.Svc}}
	_, err := guardedUpdate(ctx, g.Client, svc, epoch, func(o client.Object) error {
		a := o.GetAnnotations()
		if a == nil {
			a = map[string]string{}
		}
		a[CiliumGlobal] = "true"
		a[CiliumShared] = shared
		a[CiliumAffinity] = string(affinity)
		a[failoverv1.RoleAnnotation] = string(role)
		o.SetAnnotations(a)
		return nil
	})
	return err
}
