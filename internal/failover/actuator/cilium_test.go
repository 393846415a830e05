package actuator_test

import (
	"context"
	"errors"
	"testing"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/actuator"
)

func TestCiliumGlobalService(t *testing.T) {
	ctx := context.Background()
	mustApply(t, env, `
apiVersion: v1
kind: Service
metadata: {name: orders, namespace: mesh}
spec: {selector: {app: orders}, ports: [{port: 8080}]}
`)
	rec := &recorder{}
	g := actuator.NewGlobalService(recordingClient(t, env, rec, ""), "mesh",
		failoverv1.GlobalService{ObjectRef: failoverv1.ObjectRef{Name: "orders"}})

	if err := g.Deactivate(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := g.Activate(ctx, 4); err != nil {
		t.Fatal(err)
	}
	if err := g.Activate(ctx, 4); err != nil { // idempotent
		t.Fatal(err)
	}
	wantOps(t, rec.take(),
		`patch Service/orders {"metadata":{"annotations":{"failover.openova.io/epoch":"3","failover.openova.io/role":"standby","service.cilium.io/affinity":"remote","service.cilium.io/global":"true","service.cilium.io/shared":"false"}}}`,
		`patch Service/orders {"metadata":{"annotations":{"failover.openova.io/epoch":"4","failover.openova.io/role":"active","service.cilium.io/affinity":"local","service.cilium.io/shared":"true"}}}`)
	if err := g.Fence(ctx, 3); !errors.Is(err, actuator.ErrStaleEpoch) {
		t.Fatalf("Fence(3) after epoch 4: got %v, want ErrStaleEpoch", err)
	}
	obs, err := g.Observe(ctx)
	if err != nil || obs.Role != actuator.RoleActive || obs.Epoch != 4 || !obs.Confirmed {
		t.Errorf("Observe = %+v, %v; want confirmed active at epoch 4", obs, err)
	}
}
