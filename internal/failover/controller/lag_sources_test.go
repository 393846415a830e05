package controller

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/actuator"
)

func TestLagSourcesFromSpec(t *testing.T) {
	fg := &failoverv1.FailoverGroup{ObjectMeta: metav1.ObjectMeta{Namespace: "shop"}}
	fg.Spec.Layers.Stateful.CNPG = []failoverv1.CNPGCluster{{ObjectRef: failoverv1.ObjectRef{Name: "pg-eu"}, PeerCluster: "pg-us"}}
	fg.Spec.Layers.Stateful.Valkey = []failoverv1.ValkeyInstance{{Address: "127.0.0.1:1", PeerAddress: "127.0.0.1:2"}}
	cfg := shortTiming

	// Without a Prometheus URL the CNPG lag is unknown, so the guard asks.
	srcs, closeSrcs, err := LagSources(context.Background(), nil, fg, cfg, time.Second, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeSrcs()
	if len(srcs) != 2 {
		t.Fatalf("%d sources, want valkey and cnpg", len(srcs))
	}
	r, err := srcs[1].Lag(context.Background())
	if err != nil || r.Known || !strings.Contains(r.Detail, "--lag-prometheus-url") {
		t.Errorf("cnpg without Prometheus: %+v, %v; want unknown naming --lag-prometheus-url", r, err)
	}

	srcs2, close2, err := LagSources(context.Background(), nil, fg, cfg, time.Second, "http://127.0.0.1:9090", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer close2()
	p, ok := srcs2[1].(*actuator.PrometheusLag)
	if !ok || p.Query != `max(cnpg_pg_replication_lag{namespace="shop",pod=~"pg-eu-[0-9]+"})` || p.MaxAge != 2*time.Second {
		t.Errorf("cnpg source %#v, want a Prometheus query for shop/pg-eu", srcs2[1])
	}
}
