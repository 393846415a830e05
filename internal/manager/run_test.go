package manager_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/manager"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// get polls url until it answers 200 and want is in the body; the bound only
// ends a failing test.
func get(t *testing.T, url, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			last = resp.Status + " " + string(body)
			if resp.StatusCode == http.StatusOK && strings.Contains(string(body), want) {
				return
			}
		} else {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("GET %s: want 200 with %q; last answer: %.400s", url, want, last)
}

// Run serves health, readiness and the health gauges, and elects a leader.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	metrics, health := freeAddr(t), freeAddr(t)
	done := make(chan error, 1)
	go func() {
		done <- manager.Run(ctx, env.Config, manager.Options{MetricsAddr: metrics, HealthAddr: health,
			LeaderElect: true, LeaderElectionNamespace: "default", LeaderElectionID: "catalyst-manager-test"})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()
	pi := &platformv1.PlatformInstance{ObjectMeta: metav1.ObjectMeta{Name: "run-test"},
		Spec: platformv1.PlatformInstanceSpec{Tenant: "run", Regions: []string{"fsn1"}}}
	if err := env.Client.Create(ctx, pi); err != nil {
		t.Fatal(err)
	}
	get(t, "http://"+health+"/healthz", "ok")
	get(t, "http://"+health+"/readyz", "ok")
	get(t, "http://"+metrics+"/metrics", `openova_platform_health{health="Healthy",instance="run-test"} 1`)
}

func TestOptionsValidate(t *testing.T) {
	err := manager.Options{LeaderElect: true, LeaderElectionID: "x"}.Validate()
	if err == nil || !strings.Contains(err.Error(), "--leader-election-namespace") {
		t.Errorf("leader election outside a cluster without a namespace: %v", err)
	}
	if err := (manager.Options{LeaderElect: true, LeaderElectionNamespace: "ns"}).Validate(); err == nil || !strings.Contains(err.Error(), "--leader-election-id") {
		t.Errorf("empty lease name: %v", err)
	}
}
