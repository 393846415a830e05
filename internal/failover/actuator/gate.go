package actuator

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
)

// The gate's single endpoint. Traffic never reaches it (the route gives it
// weight 0); it exists only so that k8gb counts a ready or unready
// endpoint. 192.0.2.1 is TEST-NET-1 (RFC 5737): never routed anywhere.
const (
	DefaultGateAddress = "192.0.2.1"
	gatePort           = 80
	gatePortName       = "gate"
	managedBy          = "failover.openova.io"
)

// Gate is the external-traffic actuator: k8gb judges a region healthy from
// the ready endpoints of the Services behind a protected HTTPRoute. With the
// Gslb's spec.serviceHealthPolicy set to All, one unready backend makes the
// whole route unhealthy, so a selector-less gate Service whose EndpointSlice
// we mark ready only while this region is active — referenced by the route
// as a weight-0 backend, so it never receives traffic — makes k8gb stop
// answering with an inactive region. Routes in another namespace than the
// gate need a ReferenceGrant allowing HTTPRoutes to reference the Service.
type Gate struct {
	Client    client.Client
	Namespace string
	Service   string
	Routes    []failoverv1.ObjectRef
	// Address of the gate endpoint; DefaultGateAddress when empty.
	Address string
}

// NewGate returns the gate actuator of one FailoverGroup gate.
func NewGate(c client.Client, namespace string, g failoverv1.Gate) *Gate {
	return &Gate{Client: c, Namespace: namespace, Service: g.GateService, Routes: g.HTTPRoutes}
}

func (g *Gate) Name() string { return "gate " + g.Namespace + "/" + g.Service }

// Activate wires the routes first, then marks the endpoint ready: k8gb must
// never see a ready region whose routes are not yet gated.
func (g *Gate) Activate(ctx context.Context, epoch uint64) error {
	if err := g.ensureService(ctx, epoch); err != nil {
		return err
	}
	if err := g.wireRoutes(ctx, epoch); err != nil {
		return err
	}
	return g.setReady(ctx, epoch, true)
}

// Deactivate marks the endpoint unready first, then wires the routes, so a
// standby region's routes are gated from their first reconcile.
func (g *Gate) Deactivate(ctx context.Context, epoch uint64) error {
	if err := g.ensureService(ctx, epoch); err != nil {
		return err
	}
	if err := g.setReady(ctx, epoch, false); err != nil {
		return err
	}
	return g.wireRoutes(ctx, epoch)
}

// Fence only marks the endpoint unready: one write to the local API server.
func (g *Gate) Fence(ctx context.Context, epoch uint64) error { return g.setReady(ctx, epoch, false) }

// Observe reports the EndpointSlice's ready condition, which is what k8gb sees.
func (g *Gate) Observe(ctx context.Context) (Observation, error) {
	var es discoveryv1.EndpointSlice
	if err := g.Client.Get(ctx, client.ObjectKey{Namespace: g.Namespace, Name: g.sliceName()}, &es); err != nil {
		if apierrors.IsNotFound(err) {
			return Observation{Detail: "gate EndpointSlice not created yet"}, nil
		}
		return Observation{}, fmt.Errorf("%s: read EndpointSlice: %w", g.Name(), err)
	}
	epoch, err := stampedEpoch(describe(&es), es.Annotations)
	if err != nil {
		return Observation{}, err
	}
	ready := len(es.Endpoints) == 1 && es.Endpoints[0].Conditions.Ready != nil && *es.Endpoints[0].Conditions.Ready
	role := RoleStandby
	if ready {
		role = RoleActive
	}
	return Observation{Role: role, Epoch: epoch, Confirmed: true, Detail: fmt.Sprintf("endpoint ready=%t", ready)}, nil
}

func (g *Gate) sliceName() string { return g.Service + "-gate" }

func (g *Gate) address() string {
	if g.Address == "" {
		return DefaultGateAddress
	}
	return g.Address
}

// ensureService creates the selector-less Service once; later calls only
// check that it still carries no selector (a selector would let the
// EndpointSlice controller fight us over endpoints).
func (g *Gate) ensureService(ctx context.Context, epoch uint64) error {
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: g.Namespace, Name: g.Service,
			Labels:      map[string]string{"app.kubernetes.io/managed-by": managedBy},
			Annotations: map[string]string{failoverv1.EpochAnnotation: epochString(epoch)}},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, Ports: []corev1.ServicePort{{
			Name: gatePortName, Port: gatePort, Protocol: corev1.ProtocolTCP, TargetPort: intstr.FromInt32(gatePort)}}},
	}
	err := g.Client.Create(ctx, svc, client.FieldOwner(FieldOwner))
	if err == nil {
		return nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("%s: create Service: %w", g.Name(), err)
	}
	var existing corev1.Service
	if err := g.Client.Get(ctx, client.ObjectKeyFromObject(svc), &existing); err != nil {
		return fmt.Errorf("%s: read Service: %w", g.Name(), err)
	}
	if len(existing.Spec.Selector) > 0 {
		return fmt.Errorf("%s: Service %s/%s has a selector; a gate Service must be selector-less (its endpoints are set by the failover controller): rename spec.layers.external.gates[].gateService or remove the selector",
			g.Name(), g.Namespace, g.Service)
	}
	return nil
}

func (g *Gate) setReady(ctx context.Context, epoch uint64, ready bool) error {
	role := RoleStandby
	if ready {
		role = RoleActive
	}
	want := []discoveryv1.Endpoint{{
		Addresses:  []string{g.address()},
		Conditions: discoveryv1.EndpointConditions{Ready: &ready, Serving: &ready, Terminating: new(false)},
	}}
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: g.Namespace, Name: g.sliceName(),
			Labels: map[string]string{
				discoveryv1.LabelServiceName: g.Service,
				discoveryv1.LabelManagedBy:   managedBy,
			},
			Annotations: map[string]string{failoverv1.EpochAnnotation: epochString(epoch), failoverv1.RoleAnnotation: string(role)}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   want,
		Ports:       []discoveryv1.EndpointPort{{Name: new(gatePortName), Port: new(int32(gatePort)), Protocol: new(corev1.ProtocolTCP)}},
	}
	err := g.Client.Create(ctx, es, client.FieldOwner(FieldOwner))
	if err == nil {
		return nil
	}
	if !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("%s: create EndpointSlice: %w", g.Name(), err)
	}
	_, err = guardedUpdate(ctx, g.Client, &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Namespace: g.Namespace, Name: g.sliceName()}}, epoch,
		func(o client.Object) error {
			s := o.(*discoveryv1.EndpointSlice)
			s.Endpoints = want
			setRole(s, role)
			return nil
		})
	return err
}

func (g *Gate) wireRoutes(ctx context.Context, epoch uint64) error {
	for _, r := range g.Routes {
		if err := WireGate(ctx, g.Client, orNamespace(r.Namespace, g.Namespace), r.Name, g.Namespace, g.Service, epoch); err != nil {
			return err
		}
	}
	return nil
}
