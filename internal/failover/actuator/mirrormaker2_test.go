package actuator_test

import (
	"context"
	"errors"
	"testing"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/actuator"
)

const mm2Pull = `
apiVersion: kafka.strimzi.io/v1
kind: KafkaMirrorMaker2
metadata: {name: from-peer, namespace: kafka}
spec:
  replicas: 1
  target: {alias: local, bootstrapServers: "kafka-local:9092", groupId: mm2, configStorageTopic: mm2-config, statusStorageTopic: mm2-status, offsetStorageTopic: mm2-offsets}
  mirrors:
  - source: {alias: peer, bootstrapServers: "kafka-peer:9092"}
    sourceConnector: {tasksMax: 2}
    checkpointConnector: {}
    topicsPattern: ".*"
`

// A pull mirror (peer → this region) runs only while this region is
// standby: data always flows from the active region.
func TestMirrorMaker2Direction(t *testing.T) {
	ctx := context.Background()
	mustApply(t, env, mm2Pull)
	rec := &recorder{}
	m := actuator.NewMirrorMaker2(recordingClient(t, env, rec, ""), "kafka",
		failoverv1.MirrorMaker2{ObjectRef: failoverv1.ObjectRef{Name: "from-peer"}, Direction: failoverv1.MirrorPull})

	if err := m.Deactivate(ctx, 2); err != nil {
		t.Fatal(err)
	}
	if err := m.Fence(ctx, 2); err != nil { // a pull mirror is left running
		t.Fatal(err)
	}
	if err := m.Activate(ctx, 3); err != nil {
		t.Fatal(err)
	}
	wantOps(t, rec.take(),
		`patch KafkaMirrorMaker2/from-peer {"metadata":{"annotations":{"failover.openova.io/epoch":"2","failover.openova.io/role":"standby"}},"spec":{"mirrors":[{"checkpointConnector":{"state":"running"},"source":{"alias":"peer","bootstrapServers":"kafka-peer:9092"},"sourceConnector":{"state":"running","tasksMax":2},"topicsPattern":".*"}]}}`,
		`patch KafkaMirrorMaker2/from-peer {"metadata":{"annotations":{"failover.openova.io/role":"fenced"}}}`,
		`patch KafkaMirrorMaker2/from-peer {"metadata":{"annotations":{"failover.openova.io/epoch":"3","failover.openova.io/role":"active"}},"spec":{"mirrors":[{"checkpointConnector":{"state":"stopped"},"source":{"alias":"peer","bootstrapServers":"kafka-peer:9092"},"sourceConnector":{"state":"stopped","tasksMax":2},"topicsPattern":".*"}]}}`)
	if err := m.Deactivate(ctx, 2); !errors.Is(err, actuator.ErrStaleEpoch) {
		t.Fatalf("Deactivate(2) after epoch 3: got %v, want ErrStaleEpoch", err)
	}
	obs, err := m.Observe(ctx)
	if err != nil || obs.Role != actuator.RoleActive || obs.Epoch != 3 || obs.Detail != "connectors running=false" {
		t.Errorf("Observe = %+v, %v", obs, err)
	}
}
