package actuator_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/actuator"
)

func parseCluster(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

const generatedMember = `
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: orders, namespace: team-a}
spec:
  instances: 2
  replica: {primary: orders-fsn, self: orders-fsn, source: orders-hel}
  externalClusters:
  - {name: orders-fsn, connectionParameters: {host: orders-fsn.team-a.svc}}
  - {name: orders-hel, connectionParameters: {host: orders-hel.team-a.svc}}
`

func TestCNPGTopology(t *testing.T) {
	self, peer, err := actuator.CNPGTopology(parseCluster(t, generatedMember))
	if err != nil || self != "orders-fsn" || peer != "orders-hel" {
		t.Fatalf("generated member: self %q peer %q err %v; want orders-fsn, orders-hel", self, peer, err)
	}
	// Without spec.replica.self CNPG names the member after the Cluster.
	self, peer, err = actuator.CNPGTopology(parseCluster(t, cnpgCluster("pg-a", "pg-a", "pg-b")))
	if err != nil || self != "pg-a" || peer != "pg-b" {
		t.Fatalf("self defaulted: self %q peer %q err %v", self, peer, err)
	}
	refused := map[string]struct{ replica, want string }{
		"no replica":      {``, "spec.replica is not set"},
		"replica cluster": {`replica: {enabled: true, source: orders-hel}`, "spec.replica.enabled is set"},
		"no primary":      {`replica: {self: orders-fsn, source: orders-hel}`, "spec.replica.primary is not set"},
		"no source":       {`replica: {primary: orders-fsn, self: orders-fsn}`, "spec.replica.source is not set"},
		"source is self":  {`replica: {primary: orders-fsn, self: orders-fsn, source: orders-fsn}`, "is this Cluster itself"},
		"third primary":   {`replica: {primary: orders-ber, self: orders-fsn, source: orders-hel}`, "is neither this member"},
		"unlisted source": {`replica: {primary: orders-fsn, self: orders-fsn, source: orders-nbg}`, "not listed in spec.externalClusters"},
	}
	for name, c := range refused {
		t.Run(name, func(t *testing.T) {
			m := strings.Replace(generatedMember, "  replica: {primary: orders-fsn, self: orders-fsn, source: orders-hel}\n", "  "+c.replica+"\n", 1)
			_, _, err := actuator.CNPGTopology(parseCluster(t, m))
			if !errors.Is(err, actuator.ErrNotTopologyMember) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want ErrNotTopologyMember saying %q", err, c.want)
			}
		})
	}
}

// The generator names a database's Cluster alike in both regions and tells
// the members apart with spec.replica.self: the actuator must write the
// topology name, never metadata.name, into spec.replica.primary.
func TestCNPGActsOnTopologyNames(t *testing.T) {
	ctx := context.Background()
	mustApply(t, env, generatedMember)
	rec := &recorder{}
	a := actuator.NewCNPG(recordingClient(t, env, rec, ""), "team-a", failoverv1.CNPGCluster{ObjectRef: failoverv1.ObjectRef{Name: "orders"}, PeerCluster: "orders-hel"})
	if err := a.Deactivate(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if err := a.Activate(ctx, 4); err != nil {
		t.Fatal(err)
	}
	wantOps(t, rec.take(),
		`patch Cluster/orders {"metadata":{"annotations":{"failover.openova.io/epoch":"3","failover.openova.io/role":"standby"}},"spec":{"replica":{"primary":"orders-hel"}}}`,
		`patch Cluster/orders {"metadata":{"annotations":{"failover.openova.io/epoch":"4","failover.openova.io/role":"active"}},"spec":{"replica":{"primary":"orders-fsn"}}}`)
	if obs, err := a.Observe(ctx); err != nil || obs.Role != actuator.RoleActive {
		t.Errorf("Observe = %+v, %v; want active", obs, err)
	}
}
