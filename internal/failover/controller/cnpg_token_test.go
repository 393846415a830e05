package controller

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/openova-io/openova/internal/failover/actuator"
	"github.com/openova-io/openova/internal/testenv"
)

func createIn(t *testing.T, e *testenv.Env, manifest string) *unstructured.Unstructured {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		t.Fatal(err)
	}
	if err := e.EnsureNamespace(context.Background(), u.GetNamespace()); err != nil {
		t.Fatal(err)
	}
	if err := e.Client.Create(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// The generator gives both members of a topology one metadata.name and
// tells them apart by spec.replica.self: the token reader finds the peer
// member in the peer's API server under that shared name, sees it demoted
// in favour of this member, and promotes with its demotion token. No CNPG
// operator runs here; the test writes the peer's status as CNPG would
// after the demotion.
func TestTokenCNPGFindsThePeerByTopologyName(t *testing.T) {
	ctx := context.Background()
	peerEnv, stop, err := testenv.StartSecond()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	const member = `
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: orders, namespace: team-tok}
spec:
  instances: 1
  storage: {size: 1Gi}
  replica: {primary: orders-a, self: orders-%s, source: orders-%s}
  externalClusters:
  - {name: orders-a, connectionParameters: {host: orders-a.team-tok.svc}}
  - {name: orders-b, connectionParameters: {host: orders-b.team-tok.svc}}
`
	createIn(t, env, fmt.Sprintf(member, "b", "a"))
	peer := createIn(t, peerEnv, fmt.Sprintf(member, "a", "b"))
	// Region a demoted its member in favour of b; CNPG published the token.
	_ = unstructured.SetNestedField(peer.Object, "orders-b", "spec", "replica", "primary")
	if err := peerEnv.Client.Update(ctx, peer); err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedField(peer.Object, "token-of-orders-a", "status", "demotionToken")
	_ = unstructured.SetNestedSlice(peer.Object, []any{map[string]any{"type": "Ready", "status": "True", "reason": "ClusterIsReady",
		"message": "", "lastTransitionTime": time.Now().UTC().Format(time.RFC3339), "observedGeneration": peer.GetGeneration()}}, "status", "conditions")
	if err := peerEnv.Client.Status().Update(ctx, peer); err != nil {
		t.Fatal(err)
	}

	local := &actuator.CNPG{Client: env.Client, Namespace: "team-tok", Clus: "orders", Peer: "orders-a"}
	a := newTokenCNPG(local, peerEnv.Client, time.Minute, slog.New(slog.DiscardHandler))
	if err := a.Activate(ctx, 5); err != nil {
		t.Fatal(err)
	}
	got := cnpgObject("team-tok", "orders")
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(got), got); err != nil {
		t.Fatal(err)
	}
	r, _, _ := unstructured.NestedStringMap(got.Object, "spec", "replica")
	if r["primary"] != "orders-b" || r["promotionToken"] != "token-of-orders-a" {
		t.Fatalf("spec.replica = %v; want primary orders-b promoted with the peer's demotion token", r)
	}
}
