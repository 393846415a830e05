package actuator_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/actuator"
	"github.com/openova-io/openova/internal/testenv"
)

// cnpgCluster is one member of a two-region distributed topology.
func cnpgCluster(name, primary, peer string) string {
	return fmt.Sprintf(`
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: %[1]s, namespace: pg}
spec:
  instances: 3
  storage: {size: 1Gi}
  replica: {primary: %[2]s, source: %[3]s}
  externalClusters:
  - {name: %[1]s, connectionParameters: {host: %[1]s-rw.pg.svc, user: streaming_replica}}
  - {name: %[3]s, connectionParameters: {host: %[3]s-rw.pg.svc, user: streaming_replica}}
`, name, primary, peer)
}

func replicaSpec(t *testing.T, c client.Client, name string) (map[string]any, map[string]string) {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("postgresql.cnpg.io/v1")
	u.SetKind("Cluster")
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "pg", Name: name}, u); err != nil {
		t.Fatal(err)
	}
	r, _, _ := unstructured.NestedMap(u.Object, "spec", "replica")
	return r, u.GetAnnotations()
}

// Unplanned failover: the standby is promoted without a token; the old
// primary, which fenced itself, is marked for rebuild when next seen and
// then refuses ever to be promoted again.
func TestCNPGUnplannedFailover(t *testing.T) {
	ctx := context.Background()
	mustApply(t, env, cnpgCluster("pg-a", "pg-a", "pg-b")) // was primary in region A
	mustApply(t, env, cnpgCluster("pg-b", "pg-a", "pg-a")) // replica in region B
	rec := &recorder{}
	c := recordingClient(t, env, rec, "")
	a := actuator.NewCNPG(c, "pg", failoverv1.CNPGCluster{ObjectRef: failoverv1.ObjectRef{Name: "pg-a"}, PeerCluster: "pg-b"})
	b := actuator.NewCNPG(c, "pg", failoverv1.CNPGCluster{ObjectRef: failoverv1.ObjectRef{Name: "pg-b"}, PeerCluster: "pg-a"})

	// Region A loses the witness and fences itself before its deadline.
	if err := a.Fence(ctx, 7); err != nil {
		t.Fatal(err)
	}
	// Region B takes over at epoch 8: one patch, no promotion token.
	if err := b.Activate(ctx, 8); err != nil {
		t.Fatal(err)
	}
	// Region A comes back, learns of epoch 8 and stands down.
	if err := a.Deactivate(ctx, 8); err != nil {
		t.Fatal(err)
	}
	wantOps(t, rec.take(),
		`patch Cluster/pg-a {"metadata":{"annotations":{"cnpg.io/fencedInstances":"[\"*\"]","failover.openova.io/epoch":"7","failover.openova.io/role":"fenced"}}}`,
		`patch Cluster/pg-b {"metadata":{"annotations":{"failover.openova.io/epoch":"8","failover.openova.io/role":"active"}},"spec":{"replica":{"primary":"pg-b"}}}`,
		`patch Cluster/pg-a {"metadata":{"annotations":{"failover.openova.io/epoch":"8","failover.openova.io/rebuild-required":"8","failover.openova.io/role":"standby"}},"spec":{"replica":{"primary":"pg-b"}}}`)

	r, ann := replicaSpec(t, env.Client, "pg-a")
	if r["primary"] != "pg-b" || ann[actuator.FencedInstancesAnnotation] != `["*"]` {
		t.Errorf("old primary: replica=%v fenced=%q; want primary pg-b and still fenced", r, ann[actuator.FencedInstancesAnnotation])
	}
	// It never resumes as primary, even with a newer epoch.
	if err := a.Activate(ctx, 9); !errors.Is(err, actuator.ErrRebuildRequired) {
		t.Fatalf("Activate of a diverged old primary: got %v, want ErrRebuildRequired", err)
	}
	wantOps(t, rec.take())
	// And a stale command cannot demote the new primary.
	if err := b.Deactivate(ctx, 7); !errors.Is(err, actuator.ErrStaleEpoch) {
		t.Fatalf("Deactivate(7) of the epoch-8 primary: got %v, want ErrStaleEpoch", err)
	}
	if obs, err := b.Observe(ctx); err != nil || obs.Role != actuator.RoleActive || obs.Epoch != 8 {
		t.Errorf("Observe(pg-b) = %+v, %v; want active at epoch 8", obs, err)
	}
}

// Planned switchover across two real API servers (one per region): demote
// A, wait for A's status.demotionToken, then ONE patch of B's
// spec.replica.primary and promotionToken. No CNPG operator runs here, so
// the test plays the operator of region A: when it sees A demoted it
// publishes a demotion token in A's status, as CNPG does after the
// shutdown checkpoint.
func TestCNPGPlannedSwitchover(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	regionB, stop, err := testenv.StartSecond()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	mustApply(t, env, cnpgCluster("sw-a", "sw-a", "sw-b"))
	mustApply(t, regionB, cnpgCluster("sw-b", "sw-a", "sw-a"))

	rec := &recorder{}
	a := actuator.NewCNPG(recordingClient(t, env, rec, "A: "), "pg", failoverv1.CNPGCluster{ObjectRef: failoverv1.ObjectRef{Name: "sw-a"}, PeerCluster: "sw-b"})
	b := actuator.NewCNPG(recordingClient(t, regionB, rec, "B: "), "pg", failoverv1.CNPGCluster{ObjectRef: failoverv1.ObjectRef{Name: "sw-b"}, PeerCluster: "sw-a"})

	operatorDone := make(chan error, 1)
	go func() { operatorDone <- playCNPGOperatorDemotion(ctx, env, "sw-a", "sw-b", "token-from-sw-a") }()

	if err := actuator.Switchover(ctx, a, b, 12, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := <-operatorDone; err != nil {
		t.Fatal(err)
	}
	wantOps(t, rec.take(),
		`A: patch Cluster/sw-a {"metadata":{"annotations":{"failover.openova.io/epoch":"12","failover.openova.io/role":"standby"}},"spec":{"replica":{"primary":"sw-b"}}}`,
		`B: patch Cluster/sw-b {"metadata":{"annotations":{"failover.openova.io/epoch":"12","failover.openova.io/role":"active"}},"spec":{"replica":{"primary":"sw-b","promotionToken":"token-from-sw-a"}}}`)
	if _, ann := replicaSpec(t, env.Client, "sw-a"); ann[failoverv1.RebuildAnnotation] != "" {
		t.Errorf("a cleanly demoted primary must not be marked for rebuild")
	}
	// Running the switchover again (e.g. after a controller restart) is a
	// no-op apart from re-reading the token.
	if err := actuator.Switchover(ctx, a, b, 12, 20*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	wantOps(t, rec.take())
}

// playCNPGOperatorDemotion waits until the Cluster points its primary at
// peer and then writes status.demotionToken, standing in for CNPG.
func playCNPGOperatorDemotion(ctx context.Context, e *testenv.Env, name, peer, token string) error {
	for {
		u := &unstructured.Unstructured{}
		u.SetAPIVersion("postgresql.cnpg.io/v1")
		u.SetKind("Cluster")
		if err := e.Client.Get(ctx, client.ObjectKey{Namespace: "pg", Name: name}, u); err != nil {
			return err
		}
		if p, _, _ := unstructured.NestedString(u.Object, "spec", "replica", "primary"); p == peer {
			_ = unstructured.SetNestedField(u.Object, token, "status", "demotionToken")
			return e.Client.Status().Update(ctx, u)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}
