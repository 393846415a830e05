package manager_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/manager"
	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, func(e *testenv.Env) { env = e })
}

var hrGVR = schema.GroupVersionResource{Group: "helm.toolkit.fluxcd.io", Version: "v2", Resource: "helmreleases"}

func helmRelease(ns, name, chart, version string, values map[string]any) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{"interval": "10m", "values": values,
			"chart": map[string]any{"spec": map[string]any{"chart": chart, "version": version,
				"sourceRef": map[string]any{"kind": "HelmRepository", "name": name}}}},
	}}
}

// release is what helm-controller writes after a reconcile.
type release struct {
	ready, reconciling, stalled metav1.ConditionStatus // "" leaves a condition out
	reason, message             string
	chartVersion, appVersion    string
}

// setStatus writes a HelmRelease's status subresource the way helm-controller
// does: Ready/Reconciling/Stalled conditions for the current generation,
// status.history newest first, lastAttemptedRevision.
func setStatus(t *testing.T, ns, name string, r release) {
	t.Helper()
	ctx := context.Background()
	hr, err := env.Dynamic.Resource(hrGVR).Namespace(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	var conds []any
	for typ, s := range map[string]metav1.ConditionStatus{"Ready": r.ready, "Reconciling": r.reconciling, "Stalled": r.stalled} {
		if s != "" {
			conds = append(conds, map[string]any{"type": typ, "status": string(s), "reason": r.reason, "message": r.message,
				"observedGeneration": hr.GetGeneration(), "lastTransitionTime": now})
		}
	}
	status := map[string]any{"observedGeneration": hr.GetGeneration(), "conditions": conds,
		"lastAttemptedRevision": r.chartVersion, "lastAttemptedGeneration": hr.GetGeneration()}
	if r.appVersion != "" {
		status["history"] = []any{map[string]any{"name": name, "namespace": ns, "chartName": name, "chartVersion": r.chartVersion,
			"appVersion": r.appVersion, "configDigest": "sha256:00", "digest": "sha256:00", "firstDeployed": now, "lastDeployed": now,
			"status": "deployed", "version": int64(1)}}
	}
	hr.Object["status"] = status
	if _, err := env.Dynamic.Resource(hrGVR).Namespace(ns).UpdateStatus(ctx, hr, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("set status of HelmRelease %s/%s: %v", ns, name, err)
	}
}

// waitFor polls the PlatformInstance until ok holds; the bound is only there
// to end a failing test.
func waitFor(t *testing.T, what string, ok func(platformv1.PlatformInstanceStatus) bool) platformv1.PlatformInstanceStatus {
	t.Helper()
	var pi platformv1.PlatformInstance
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "acme"}, &pi); err != nil {
			t.Fatal(err)
		}
		if ok(pi.Status) {
			return pi.Status
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not reached; status is %+v", what, pi.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func component(st platformv1.PlatformInstanceStatus, name string) platformv1.ComponentStatus {
	for _, c := range st.Components {
		if c.Name == name {
			return c
		}
	}
	return platformv1.ComponentStatus{}
}

func condition(st platformv1.PlatformInstanceStatus, typ string) metav1.Condition {
	for _, c := range st.Conditions {
		if c.Type == typ {
			return c
		}
	}
	return metav1.Condition{}
}

// The manager, running against kube-apiserver with the Flux CRDs, follows
// HelmReleases through install, failure, version changes, edits outside Git
// and deletion, and writes health, support and drift to the instance.
func TestPlatformHealth(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for _, ns := range []string{"cert-manager", "cnpg-system"} {
		if err := env.EnsureNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}

	reg := prometheus.NewRegistry()
	metrics := manager.NewMetrics(reg)
	runReconciler(t, metrics)

	for _, bp := range []*platformv1.Blueprint{
		{ObjectMeta: metav1.ObjectMeta{Name: "cert-manager"}, Spec: platformv1.BlueprintSpec{Version: "1.0.0", AppVersion: "1.19.1",
			Support: []platformv1.SupportRange{{Versions: ">=1.19.0 <1.20.0", Status: platformv1.SupportSupported},
				{Versions: ">=1.18.0 <1.19.0", Status: platformv1.SupportBestEffort}}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "cnpg"}, Spec: platformv1.BlueprintSpec{Version: "1.0.0", AppVersion: "1.27.0",
			Support: []platformv1.SupportRange{{Versions: ">=1.27.0 <1.28.0", Status: platformv1.SupportSupported}}}},
	} {
		if err := env.Client.Create(ctx, bp); err != nil {
			t.Fatal(err)
		}
	}
	cmValues := map[string]any{"crds": map[string]any{"enabled": true}, "replicaCount": int64(2)}
	for _, hr := range []*unstructured.Unstructured{
		helmRelease("cert-manager", "cert-manager", "cert-manager", "v1.19.1", cmValues),
		helmRelease("cnpg-system", "cnpg", "cloudnative-pg", "0.26.0", nil),
	} {
		if err := env.Client.Create(ctx, hr); err != nil {
			t.Fatal(err)
		}
	}
	cmDigest, _ := manager.ValuesDigest(cmValues)
	emptyDigest, _ := manager.ValuesDigest(nil)
	pi := &platformv1.PlatformInstance{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: platformv1.PlatformInstanceSpec{
		Tenant: "acme", Regions: []string{"fsn1"},
		Components: []platformv1.InstalledComponent{
			{Name: "cert-manager", BlueprintVersion: "1.0.0", AppVersion: "1.19.1", Releases: []platformv1.ReleaseRef{
				{Name: "cert-manager", Namespace: "cert-manager", ChartVersion: "v1.19.1", ValuesDigest: cmDigest}}},
			{Name: "cnpg", BlueprintVersion: "1.0.0", AppVersion: "1.27.0", Releases: []platformv1.ReleaseRef{
				{Name: "cnpg", Namespace: "cnpg-system", ChartVersion: "0.26.0", ValuesDigest: emptyDigest}}},
		}}}
	if err := env.Client.Create(ctx, pi); err != nil {
		t.Fatal(err)
	}

	// Flux has not reconciled yet: progressing, not ready, support unknown.
	st := waitFor(t, "progressing", func(s platformv1.PlatformInstanceStatus) bool { return s.Health == platformv1.HealthProgressing })
	if c := condition(st, platformv1.ConditionReady); c.Status != metav1.ConditionFalse || c.Reason != platformv1.ReasonComponentsNotReady {
		t.Errorf("Ready = %+v, want False/ComponentsNotReady", c)
	}

	// Installing: Ready Unknown with Reconciling, as helm-controller reports a running install.
	setStatus(t, "cert-manager", "cert-manager", release{ready: metav1.ConditionUnknown, reconciling: metav1.ConditionTrue,
		reason: "Progressing", message: "Fulfilling prerequisites"})
	// Installed.
	setStatus(t, "cert-manager", "cert-manager", release{ready: metav1.ConditionTrue, reason: "InstallSucceeded",
		message:      "Helm install succeeded for release cert-manager/cert-manager.v1 with chart cert-manager@v1.19.1",
		chartVersion: "v1.19.1", appVersion: "v1.19.1"})
	setStatus(t, "cnpg-system", "cnpg", release{ready: metav1.ConditionTrue, reason: "UpgradeSucceeded",
		message: "Helm upgrade succeeded", chartVersion: "0.26.0", appVersion: "1.27.0"})
	st = waitFor(t, "healthy", func(s platformv1.PlatformInstanceStatus) bool { return s.Health == platformv1.HealthHealthy })
	if st.Support != platformv1.SupportSupported || st.Drifted != 0 {
		t.Errorf("healthy platform: support %s drifted %d, want supported and 0: %+v", st.Support, st.Drifted, st)
	}
	for typ, reason := range map[string]string{platformv1.ConditionReady: platformv1.ReasonAllHealthy,
		platformv1.ConditionSupported: platformv1.ReasonAllSupported, platformv1.ConditionInSync: platformv1.ReasonNoDrift} {
		if c := condition(st, typ); c.Status != metav1.ConditionTrue || c.Reason != reason {
			t.Errorf("%s = %s/%s, want True/%s", typ, c.Status, c.Reason, reason)
		}
	}
	if v := component(st, "cert-manager").RunningVersion; v != "v1.19.1" {
		t.Errorf("cert-manager running version %q, want v1.19.1", v)
	}
	if got := gauge(t, reg, "openova_platform_health", map[string]string{"instance": "acme", "health": "Healthy"}); got != 1 {
		t.Errorf("openova_platform_health{health=Healthy} = %v, want 1", got)
	}

	// An upgrade fails and remediation is exhausted: Ready False, Stalled.
	setStatus(t, "cnpg-system", "cnpg", release{ready: metav1.ConditionFalse, stalled: metav1.ConditionTrue, reason: "UpgradeFailed",
		message: "Helm upgrade failed: timed out waiting for the condition", chartVersion: "0.26.0", appVersion: "1.27.0"})
	st = waitFor(t, "degraded", func(s platformv1.PlatformInstanceStatus) bool { return s.Health == platformv1.HealthDegraded })
	if c := condition(st, platformv1.ConditionReady); c.Reason != platformv1.ReasonComponentsFailing || !strings.Contains(c.Message, "cnpg") {
		t.Errorf("Ready = %s %q, want ComponentsFailing naming cnpg", c.Reason, c.Message)
	}
	if m := component(st, "cnpg").Message; !strings.Contains(m, "UpgradeFailed") || !strings.Contains(m, "timed out") {
		t.Errorf("cnpg message %q does not carry helm-controller's reason and message", m)
	}
	if h := component(st, "cert-manager").Health; h != platformv1.HealthHealthy {
		t.Errorf("cert-manager health %s, want Healthy (failure is cnpg's only)", h)
	}
	if got := gauge(t, reg, "openova_component_health", map[string]string{"instance": "acme", "component": "cnpg", "health": "Degraded"}); got != 1 {
		t.Errorf("openova_component_health{cnpg,Degraded} = %v, want 1", got)
	}

	// Recovered; then cert-manager runs versions from the matrix's other rows.
	setStatus(t, "cnpg-system", "cnpg", release{ready: metav1.ConditionTrue, reason: "UpgradeSucceeded", message: "ok",
		chartVersion: "0.26.0", appVersion: "1.27.0"})
	for _, c := range []struct {
		app  string
		want platformv1.Support
		cond string
	}{
		{"v1.18.2", platformv1.SupportBestEffort, platformv1.ReasonBestEffort},
		{"v1.17.0", platformv1.SupportUnsupported, platformv1.ReasonUnsupported},
		{"v1.19.3", platformv1.SupportSupported, platformv1.ReasonAllSupported},
	} {
		setStatus(t, "cert-manager", "cert-manager", release{ready: metav1.ConditionTrue, reason: "UpgradeSucceeded", message: "ok",
			chartVersion: "v1.19.1", appVersion: c.app})
		st = waitFor(t, "support "+string(c.want), func(s platformv1.PlatformInstanceStatus) bool {
			return component(s, "cert-manager").Support == c.want && s.Health == platformv1.HealthHealthy
		})
		if st.Support != c.want || condition(st, platformv1.ConditionSupported).Reason != c.cond {
			t.Errorf("running %s: platform support %s (%s), want %s (%s)", c.app, st.Support, condition(st, platformv1.ConditionSupported).Reason, c.want, c.cond)
		}
	}

	// Someone edits the HelmRelease outside Git: values, then chart version.
	edit := func(mutate func(*unstructured.Unstructured)) {
		t.Helper()
		hr, err := env.Dynamic.Resource(hrGVR).Namespace("cert-manager").Get(ctx, "cert-manager", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		mutate(hr)
		if _, err := env.Dynamic.Resource(hrGVR).Namespace("cert-manager").Update(ctx, hr, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	edit(func(hr *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(hr.Object, int64(5), "spec", "values", "replicaCount")
	})
	st = waitFor(t, "values drift", func(s platformv1.PlatformInstanceStatus) bool { return s.Drifted == 1 })
	cm := component(st, "cert-manager")
	if len(cm.Drift) != 1 || !strings.Contains(cm.Drift[0], "spec.values differ") {
		t.Errorf("drift = %q, want one spec.values line", cm.Drift)
	}
	if c := condition(st, platformv1.ConditionInSync); c.Status != metav1.ConditionFalse || c.Reason != platformv1.ReasonDrifted {
		t.Errorf("InSync = %s/%s, want False/Drifted", c.Status, c.Reason)
	}
	if cm.Support != platformv1.SupportBestEffort {
		t.Errorf("customised values: support %s, want best-effort", cm.Support)
	}
	if got := gauge(t, reg, "openova_component_drift", map[string]string{"instance": "acme", "component": "cert-manager"}); got != 1 {
		t.Errorf("openova_component_drift{cert-manager} = %v, want 1", got)
	}
	edit(func(hr *unstructured.Unstructured) {
		_ = unstructured.SetNestedField(hr.Object, "v1.19.4", "spec", "chart", "spec", "version")
	})
	st = waitFor(t, "chart drift", func(s platformv1.PlatformInstanceStatus) bool { return len(component(s, "cert-manager").Drift) == 2 })
	if d := component(st, "cert-manager").Drift; !strings.Contains(d[0], "chart version v1.19.4, the instance lock says v1.19.1") {
		t.Errorf("drift = %q, want the chart version line first", d)
	}
	// The spec changed, so until helm-controller reconciles it the release is progressing.
	if h := component(st, "cert-manager").Health; h != platformv1.HealthProgressing {
		t.Errorf("edited release health %s, want Progressing until reconciled", h)
	}

	// The cnpg HelmRelease is deleted: missing, and the platform is failing.
	if err := env.Dynamic.Resource(hrGVR).Namespace("cnpg-system").Delete(ctx, "cnpg", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	st = waitFor(t, "missing", func(s platformv1.PlatformInstanceStatus) bool {
		return component(s, "cnpg").Health == platformv1.HealthMissing
	})
	if st.Health != platformv1.HealthMissing || condition(st, platformv1.ConditionReady).Reason != platformv1.ReasonComponentsFailing {
		t.Errorf("platform health %s / Ready %s, want Missing / ComponentsFailing", st.Health, condition(st, platformv1.ConditionReady).Reason)
	}
}

// gauge reads one series' value from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if want, ok := labels[l.GetName()]; ok && want != l.GetValue() {
					continue series
				}
			}
			return m.GetGauge().GetValue()
		}
	}
	t.Fatalf("no series %s%v", name, labels)
	return 0
}

// runReconciler runs the health controller on the package's API server,
// with the cache manager.Setup gives it, until the test ends.
func runReconciler(t *testing.T, metrics *manager.Metrics) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{Scheme: env.Scheme,
		Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		Cache: manager.CacheOptions(),
		// Tests start the same controller again in this process.
		Controller: ctrlconfig.Controller{SkipNameValidation: ptr.To(true)}})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := (&manager.Reconciler{Client: mgr.GetClient(), Metrics: metrics, Now: time.Now}).SetupWithManager(mgr); err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})
}
