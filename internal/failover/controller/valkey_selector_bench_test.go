package controller

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
)

// BenchmarkValkeySelectionResolve measures one resolution (the selected
// Services and their peers from an informer cache, the actuators) against
// the real API server with 100 selected instances: the cost each
// actuation, fences included, adds before its first command; first-ms is
// the first resolution, which also reads the 100 password Secrets. No
// Valkey is contacted.
func BenchmarkValkeySelectionResolve(b *testing.B) {
	ctx := context.Background()
	const n = 100
	ns := "bench-vk"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		b.Fatal(err)
	}
	create := func(o interface {
		GetName() string
	}, err error) {
		if err != nil && !apierrors.IsAlreadyExists(err) {
			b.Fatalf("create %s: %v", o.GetName(), err)
		}
	}
	ports := []corev1.ServicePort{{Name: "tcp", Port: 6379}}
	for i := range n {
		for _, side := range []string{"a", "b"} {
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cache-%d-%s", i, side), Namespace: ns}, Spec: corev1.ServiceSpec{Ports: ports}}
			if side == "a" {
				svc.Labels = map[string]string{"test.openova.io/bench": "1"}
				svc.Annotations = map[string]string{failoverv1.ValkeyPeerServiceAnnotation: fmt.Sprintf("cache-%d-b", i),
					failoverv1.ValkeySecretAnnotation: fmt.Sprintf("cache-%d-users", i)}
			}
			create(svc, env.Client.Create(ctx, svc))
		}
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cache-%d-users", i), Namespace: ns},
			Data: map[string][]byte{failoverv1.ValkeySecretKey: []byte("pw")}}
		create(sec, env.Client.Create(ctx, sec))
	}
	fg := &failoverv1.FailoverGroup{ObjectMeta: metav1.ObjectMeta{Name: "bench", Namespace: ns}}
	fg.Spec.Layers.Stateful.ValkeySelector = &metav1.LabelSelector{MatchLabels: map[string]string{"test.openova.io/bench": "1"}}
	// Services from an informer cache, as the controller's manager client
	// reads them; the Secrets uncached.
	cctx, stop := context.WithCancel(ctx)
	defer stop()
	informers, err := cache.New(env.Config, cache.Options{Scheme: env.Scheme})
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = informers.Start(cctx) }()
	if _, err := informers.GetInformer(ctx, &corev1.Service{}); err != nil {
		b.Fatal(err)
	}
	informers.WaitForCacheSync(ctx)
	sel, err := NewValkeySelection(informers, env.Client, nil, fg, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer sel.close()
	// The first resolution reads every Secret (client-side rate limited
	// like the controller's own reader); reported apart from the steady
	// state every later one is.
	start := time.Now()
	if _, err := sel.Resolve(ctx); err != nil {
		b.Fatal(err)
	}
	first := time.Since(start)
	for b.Loop() {
		acts, err := sel.Resolve(ctx)
		if err != nil || len(acts) != n {
			b.Fatalf("resolved %d actuators, %v; want %d (%+v)", len(acts), err, n, sel.Selected()[0])
		}
	}
	b.ReportMetric(float64(first.Milliseconds()), "first-ms") // after Loop, which resets metrics
}
