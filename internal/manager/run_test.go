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

// Run serves health, readiness and the gauges of docs/manager.md on a real
// /metrics endpoint, and elects a leader. The instance has one component
// whose values were changed outside Git (drift, best effort) and whose
// Blueprint offers a newer version.
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
	if err := env.EnsureNamespace(ctx, "run-test"); err != nil {
		t.Fatal(err)
	}
	bp := &platformv1.Blueprint{ObjectMeta: metav1.ObjectMeta{Name: "gauged"}, Spec: platformv1.BlueprintSpec{Version: "2.0.0", AppVersion: "1.6.0",
		Support: []platformv1.SupportRange{{Versions: ">=1.0.0 <2.0.0", Status: platformv1.SupportSupported}}}}
	if err := env.Client.Create(ctx, bp); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(ctx, helmRelease("run-test", "gauged", "gauged", "1.0.0", map[string]any{"replicas": int64(3)})); err != nil {
		t.Fatal(err)
	}
	setStatus(t, "run-test", "gauged", release{ready: metav1.ConditionTrue, reason: "InstallSucceeded", message: "ok",
		chartVersion: "1.0.0", appVersion: "1.5.0"})
	locked, _ := manager.ValuesDigest(nil) // the lock has no values: replicas was set outside Git
	pi := &platformv1.PlatformInstance{ObjectMeta: metav1.ObjectMeta{Name: "run-test"},
		Spec: platformv1.PlatformInstanceSpec{Tenant: "run", Regions: []string{"fsn1"}, Components: []platformv1.InstalledComponent{
			{Name: "gauged", BlueprintVersion: "1.0.0", AppVersion: "1.5.0", Releases: []platformv1.ReleaseRef{
				{Name: "gauged", Namespace: "run-test", ChartVersion: "1.0.0", ValuesDigest: locked}}}}}}
	if err := env.Client.Create(ctx, pi); err != nil {
		t.Fatal(err)
	}
	get(t, "http://"+health+"/healthz", "ok")
	get(t, "http://"+health+"/readyz", "ok")
	for _, series := range []string{
		`openova_platform_health{health="Healthy",instance="run-test"} 1`,
		`openova_platform_health{health="Degraded",instance="run-test"} 0`,
		`openova_platform_support{instance="run-test",support="best-effort"} 1`,
		`openova_platform_drifted_components{instance="run-test"} 1`,
		`openova_component_health{component="gauged",health="Healthy",instance="run-test"} 1`,
		`openova_component_support{component="gauged",instance="run-test",support="best-effort"} 1`,
		`openova_component_drift{component="gauged",instance="run-test"} 1`,
		`openova_component_upgrade_available{component="gauged",instance="run-test"} 1`,
	} {
		get(t, "http://"+metrics+"/metrics", series)
	}
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
