package controller

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
)

// BenchmarkCNPGSelectionResolve measures one resolution (an uncached list
// of the selected Clusters in every namespace, the topology rule, the
// actuators) against the real API server with 100 selected Clusters: the
// cost each actuation, fences included, adds before its first patch.
func BenchmarkCNPGSelectionResolve(b *testing.B) {
	ctx := context.Background()
	const n = 100
	if err := env.EnsureNamespace(ctx, "bench-sel"); err != nil {
		b.Fatal(err)
	}
	for i := range n {
		u := parseManifest(b, fmt.Sprintf(`
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: db-%[1]d
  namespace: bench-sel
  labels: {%[2]s: "true", test.openova.io/bench: "1"}
spec:
  instances: 1
  storage: {size: 1Gi}
  replica: {primary: db-%[1]d-a, self: db-%[1]d-a, source: db-%[1]d-b}
  externalClusters:
  - {name: db-%[1]d-a, connectionParameters: {host: a}}
  - {name: db-%[1]d-b, connectionParameters: {host: b}}
`, i, failoverv1.FollowActiveRegionLabel))
		if err := env.Client.Create(ctx, u); err != nil && !apierrors.IsAlreadyExists(err) {
			b.Fatal(err)
		}
	}
	fg := &failoverv1.FailoverGroup{ObjectMeta: metav1.ObjectMeta{Name: "bench", Namespace: "bench-sel"}}
	fg.Spec.Layers.Stateful.CNPGSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"test.openova.io/bench": "1"}}
	sel, err := NewCNPGSelection(env.Client, env.Client, nil, fg, time.Second, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		acts, err := sel.Resolve(ctx)
		if err != nil || len(acts) != n {
			b.Fatalf("resolved %d actuators, %v; want %d", len(acts), err, n)
		}
	}
}

func parseManifest(tb testing.TB, manifest string) *unstructured.Unstructured {
	tb.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		tb.Fatal(err)
	}
	return u
}
