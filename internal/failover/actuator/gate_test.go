package actuator_test

import (
	"context"
	"errors"
	"testing"

	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/actuator"
)

const shopRoute = `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shop, namespace: gate-test}
spec:
  parentRefs: [{name: public}]
  rules:
  - backendRefs: [{name: shop, port: 8080}]
`

func TestGate(t *testing.T) {
	ctx := context.Background()
	mustApply(t, env, shopRoute)
	rec := &recorder{}
	g := actuator.NewGate(recordingClient(t, env, rec, ""), "gate-test",
		failoverv1.Gate{GateService: "shop-gate", HTTPRoutes: []failoverv1.ObjectRef{{Name: "shop"}}})

	// A standby region starts: the endpoint is created unready before the
	// route is gated, so k8gb never sees this region healthy.
	if err := g.Deactivate(ctx, 4); err != nil {
		t.Fatal(err)
	}
	wantOps(t, rec.take(),
		"create Service/shop-gate",
		"create EndpointSlice/shop-gate-gate",
		`patch HTTPRoute/shop {"metadata":{"annotations":{"failover.openova.io/epoch":"4"}},"spec":{"rules":[{"backendRefs":[{"group":"","kind":"Service","name":"shop","port":8080,"weight":1},{"name":"shop-gate","port":80,"weight":0}],"matches":[{"path":{"type":"PathPrefix","value":"/"}}]}]}}`)
	assertReady(t, false, "4")

	// Taking over at epoch 5: the routes (already gated) are stamped first,
	// then one patch flips the endpoint ready.
	if err := g.Activate(ctx, 5); err != nil {
		t.Fatal(err)
	}
	wantOps(t, rec.take(),
		`patch HTTPRoute/shop {"metadata":{"annotations":{"failover.openova.io/epoch":"5"}}}`,
		`patch EndpointSlice/shop-gate-gate {"endpoints":[{"addresses":["192.0.2.1"],"conditions":{"ready":true,"serving":true,"terminating":false}}],"metadata":{"annotations":{"failover.openova.io/epoch":"5","failover.openova.io/role":"active"}}}`)
	assertReady(t, true, "5")

	// Idempotent: the same command again sends nothing.
	if err := g.Activate(ctx, 5); err != nil {
		t.Fatal(err)
	}
	wantOps(t, rec.take())

	// A delayed command from an older term is refused and changes nothing.
	err := g.Fence(ctx, 4)
	if !errors.Is(err, actuator.ErrStaleEpoch) {
		t.Fatalf("Fence(4) after epoch 5: got %v, want ErrStaleEpoch", err)
	}
	wantOps(t, rec.take())
	assertReady(t, true, "5")

	// Fencing is a single write to the local API server.
	if err := g.Fence(ctx, 5); err != nil {
		t.Fatal(err)
	}
	wantOps(t, rec.take(),
		`patch EndpointSlice/shop-gate-gate {"endpoints":[{"addresses":["192.0.2.1"],"conditions":{"ready":false,"serving":false,"terminating":false}}],"metadata":{"annotations":{"failover.openova.io/role":"standby"}}}`)
	obs, err := g.Observe(ctx)
	if err != nil || obs.Role != actuator.RoleStandby || obs.Epoch != 5 || !obs.Confirmed {
		t.Errorf("Observe = %+v, %v; want confirmed standby at epoch 5", obs, err)
	}
}

// The k8gb side of the design: a Gslb for the protected route with
// serviceHealthPolicy All is accepted by k8gb's own schema.
func TestGateGslbSchema(t *testing.T) {
	gslb := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "k8gb.io/v1beta1", "kind": "Gslb",
		"metadata": map[string]any{"name": "shop", "namespace": "gate-test"},
		"spec": map[string]any{
			"resourceRef":         map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute", "name": "shop"},
			"serviceHealthPolicy": "All",
			"strategy":            map[string]any{"type": "failover", "primaryGeoTag": "fsn1"},
		},
	}}
	if err := env.EnsureNamespace(context.Background(), "gate-test"); err != nil {
		t.Fatal(err)
	}
	if err := env.ServerSideDryRun(context.Background(), gslb); err != nil {
		t.Fatalf("Gslb with serviceHealthPolicy All refused: %v", err)
	}
}

func assertReady(t *testing.T, want bool, epoch string) {
	t.Helper()
	var es discoveryv1.EndpointSlice
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: "gate-test", Name: "shop-gate-gate"}, &es); err != nil {
		t.Fatal(err)
	}
	if got := *es.Endpoints[0].Conditions.Ready; got != want || es.Annotations[failoverv1.EpochAnnotation] != epoch {
		t.Errorf("gate ready=%t epoch=%s, want ready=%t epoch=%s", got, es.Annotations[failoverv1.EpochAnnotation], want, epoch)
	}
	if es.Labels[discoveryv1.LabelServiceName] != "shop-gate" {
		t.Errorf("EndpointSlice not bound to the gate Service: labels %v", es.Labels)
	}
}
