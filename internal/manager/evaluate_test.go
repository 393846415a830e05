package manager

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

func cond(typ string, s metav1.ConditionStatus, reason string, gen int64) metav1.Condition {
	return metav1.Condition{Type: typ, Status: s, Reason: reason, Message: reason + " message", ObservedGeneration: gen}
}

func TestReleaseHealth(t *testing.T) {
	cases := map[string]struct {
		o    Observation
		want platformv1.Health
	}{
		"not found":          {Observation{}, platformv1.HealthMissing},
		"no conditions":      {Observation{Found: true, Generation: 1}, platformv1.HealthProgressing},
		"ready":              {Observation{Found: true, Generation: 2, Conditions: []metav1.Condition{cond("Ready", "True", "UpgradeSucceeded", 2)}}, platformv1.HealthHealthy},
		"ready, stale gen":   {Observation{Found: true, Generation: 3, Conditions: []metav1.Condition{cond("Ready", "True", "UpgradeSucceeded", 2)}}, platformv1.HealthProgressing},
		"installing":         {Observation{Found: true, Generation: 1, Conditions: []metav1.Condition{cond("Ready", "Unknown", "Progressing", 1), cond("Reconciling", "True", "Progressing", 1)}}, platformv1.HealthProgressing},
		"failed, retrying":   {Observation{Found: true, Generation: 1, Conditions: []metav1.Condition{cond("Ready", "False", "InstallFailed", 1), cond("Reconciling", "True", "ProgressingWithRetry", 1)}}, platformv1.HealthDegraded},
		"stalled":            {Observation{Found: true, Generation: 1, Conditions: []metav1.Condition{cond("Ready", "Unknown", "x", 1), cond("Stalled", "True", "RetriesExceeded", 1)}}, platformv1.HealthDegraded},
		"stalled false okay": {Observation{Found: true, Generation: 1, Conditions: []metav1.Condition{cond("Ready", "True", "InstallSucceeded", 1), cond("Stalled", "False", "x", 1)}}, platformv1.HealthHealthy},
	}
	for name, c := range cases {
		if got, msg := ReleaseHealth(c.o); got != c.want {
			t.Errorf("%s: %s (%s), want %s", name, got, msg, c.want)
		}
	}
	_, msg := ReleaseHealth(Observation{Found: true, Suspended: true, Conditions: []metav1.Condition{cond("Ready", "False", "UpgradeFailed", 0)}})
	if !strings.Contains(msg, "UpgradeFailed") || !strings.Contains(msg, "suspended") {
		t.Errorf("message %q should carry the reason and the suspension", msg)
	}
}

func TestJudge(t *testing.T) {
	matrix := []platformv1.SupportRange{
		{Versions: ">=1.19.0 <1.20.0", Status: platformv1.SupportSupported},
		{Versions: ">=1.18.0 <1.19.0", Status: platformv1.SupportBestEffort},
		{Versions: "<1.18.0", Status: platformv1.SupportUnsupported},
	}
	for v, want := range map[string]platformv1.Support{
		"1.19.0": platformv1.SupportSupported, "v1.19.9": platformv1.SupportSupported, "1.18.3": platformv1.SupportBestEffort,
		"1.17.0": platformv1.SupportUnsupported, "1.20.0": platformv1.SupportUnsupported, // no row: unsupported
	} {
		if got, err := Judge(v, matrix); err != nil || got != want {
			t.Errorf("Judge(%s) = %s, %v; want %s", v, got, err, want)
		}
	}
	minio := []platformv1.SupportRange{{Versions: "=2025.10.15", Status: platformv1.SupportSupported}}
	if got, err := Judge("RELEASE.2025-10-15T17-29-55Z", minio); err != nil || got != platformv1.SupportSupported {
		t.Errorf("date release: %s, %v; want supported", got, err)
	}
	if got, _ := Judge("RELEASE.2025-09-07T16-13-09Z", minio); got != platformv1.SupportUnsupported {
		t.Errorf("older date release: %s, want unsupported", got)
	}
	if got, err := Judge("latest", matrix); got != platformv1.SupportUnknown || err == nil || !strings.Contains(err.Error(), `"latest" is not semver`) {
		t.Errorf("Judge(latest) = %s, %v; want unknown naming the version", got, err)
	}
	if _, err := Judge("1.0.0", []platformv1.SupportRange{{Versions: ">=> 1", Status: platformv1.SupportSupported}}); err == nil || !strings.Contains(err.Error(), "support[0].versions") {
		t.Errorf("bad constraint: %v, want an error naming support[0].versions", err)
	}
}

func TestObserve(t *testing.T) {
	hr := &unstructured.Unstructured{Object: map[string]any{
		"metadata": map[string]any{"name": "x", "generation": int64(4)},
		"spec": map[string]any{"suspend": true, "values": map[string]any{"b": int64(1), "a": "x"},
			"chart": map[string]any{"spec": map[string]any{"version": "1.2.3"}}},
		"status": map[string]any{"lastAttemptedRevision": "1.2.3",
			"history":    []any{map[string]any{"appVersion": "v9.0.0", "chartVersion": "1.2.3"}, map[string]any{"appVersion": "v8.0.0"}},
			"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "InstallSucceeded", "message": "ok", "observedGeneration": int64(4), "lastTransitionTime": "2026-11-25T10:00:00Z"}}},
	}}
	o, err := Observe(hr)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ValuesDigest(map[string]any{"a": "x", "b": int64(1)})
	if !o.Found || o.Generation != 4 || !o.Suspended || o.SpecChartVersion != "1.2.3" || o.AppVersion != "v9.0.0" ||
		o.ChartVersion != "1.2.3" || o.ValuesDigest != want || len(o.Conditions) != 1 || o.Conditions[0].ObservedGeneration != 4 {
		t.Errorf("Observe = %+v", o)
	}
	// Key order does not change the digest; a value does.
	d1, _ := ValuesDigest(map[string]any{"a": map[string]any{"y": 1, "x": 2}})
	d2, _ := ValuesDigest(map[string]any{"a": map[string]any{"x": 2, "y": 1}})
	d3, _ := ValuesDigest(map[string]any{"a": map[string]any{"x": 3, "y": 1}})
	if d1 != d2 || d1 == d3 || !strings.HasPrefix(d1, "sha256:") || len(d1) != 71 {
		t.Errorf("digests %s %s %s", d1, d2, d3)
	}
}

func TestEvaluateAndConditions(t *testing.T) {
	bp := &platformv1.Blueprint{Spec: platformv1.BlueprintSpec{Support: []platformv1.SupportRange{{Versions: ">=2.0.0 <3.0.0", Status: platformv1.SupportSupported}}}}
	ready := []metav1.Condition{cond("Ready", "True", "UpgradeSucceeded", 1)}
	spec := platformv1.PlatformInstanceSpec{Components: []platformv1.InstalledComponent{
		// No appVersion in history: the lock's app version counts because the chart that ran is the locked one.
		{Name: "a", AppVersion: "2.1.0", Releases: []platformv1.ReleaseRef{{Kind: platformv1.KindHelmRelease, Name: "a", Namespace: "a", ChartVersion: "0.5.0"}}},
		// A chart that differs from the lock: the version is unknown, and drift is reported.
		{Name: "b", AppVersion: "2.1.0", Releases: []platformv1.ReleaseRef{{Name: "b", Namespace: "b", ChartVersion: "0.5.0"}}},
		// A tool with no releases: judged from the lock, left out of the health roll-up.
		{Name: "tool", AppVersion: "2.0.0"},
		// Kustomization delivered: health from its conditions, version from the lock.
		{Name: "k", AppVersion: "2.0.0", Releases: []platformv1.ReleaseRef{{Kind: platformv1.KindKustomization, Name: "k", Namespace: "flux-system"}}},
	}}
	obs := map[Key]Observation{
		{platformv1.KindHelmRelease, "a", "a"}:             {Found: true, Generation: 1, Conditions: ready, LastAttemptedRevision: "0.5.0"},
		{platformv1.KindHelmRelease, "b", "b"}:             {Found: true, Generation: 1, Conditions: ready, SpecChartVersion: "0.6.0", ChartVersion: "0.6.0"},
		{platformv1.KindKustomization, "flux-system", "k"}: {Found: true, Generation: 1, Conditions: ready},
	}
	bps := map[string]*platformv1.Blueprint{"a": bp, "b": bp, "tool": bp, "k": bp}
	st := Evaluate(spec, obs, bps)
	got := map[string]platformv1.ComponentStatus{}
	for _, c := range st.Components {
		got[c.Name] = c
	}
	if c := got["a"]; c.Support != platformv1.SupportSupported || c.RunningVersion != "2.1.0" || c.Health != platformv1.HealthHealthy {
		t.Errorf("a = %+v", c)
	}
	if c := got["b"]; c.Support != platformv1.SupportUnknown || len(c.Drift) != 1 || !strings.Contains(c.Drift[0], "chart version 0.6.0, the instance lock says 0.5.0") {
		t.Errorf("b = %+v", c)
	}
	if c := got["tool"]; c.Health != platformv1.HealthUnknown || c.Support != platformv1.SupportSupported {
		t.Errorf("tool = %+v", c)
	}
	if c := got["k"]; c.Health != platformv1.HealthHealthy || c.Support != platformv1.SupportSupported {
		t.Errorf("k = %+v", c)
	}
	if st.Health != platformv1.HealthHealthy || st.Support != platformv1.SupportUnknown || st.Drifted != 1 {
		t.Errorf("platform health %s support %s drifted %d, want Healthy (tool left out), unknown, 1", st.Health, st.Support, st.Drifted)
	}

	// No Blueprint in the cluster: unknown, saying which is missing.
	st2 := Evaluate(platformv1.PlatformInstanceSpec{Components: spec.Components[:1]}, obs, nil)
	if c := st2.Components[0]; c.Support != platformv1.SupportUnknown || !strings.Contains(c.Message, `no Blueprint "a"`) {
		t.Errorf("without blueprint: %+v", c)
	}

	// Conditions keep their transition time while unchanged.
	t1, t2 := time.Unix(1000, 0), time.Unix(2000, 0)
	SetConditions(&st, 1, t1)
	SetConditions(&st, 1, t2)
	for _, c := range st.Conditions {
		if !c.LastTransitionTime.Time.Equal(t1) {
			t.Errorf("%s transition time moved to %s without a change", c.Type, c.LastTransitionTime)
		}
	}
	var reasons []string
	for _, c := range st.Conditions {
		reasons = append(reasons, c.Type+"="+string(c.Status)+"/"+c.Reason)
	}
	if want := "Ready=True/AllHealthy Supported=False/VersionUnknown InSync=False/Drifted"; strings.Join(reasons, " ") != want {
		t.Errorf("conditions %q, want %q", strings.Join(reasons, " "), want)
	}
}

func TestUpgradeStatus(t *testing.T) {
	bp := &platformv1.Blueprint{Spec: platformv1.BlueprintSpec{Version: "1.2.0"}}
	for installed, want := range map[string]string{"1.1.9": "NewerVersion", "1.2.0": "UpToDate", "1.3.0": "UpToDate", "one": "VersionInvalid"} {
		st := UpgradeStatus(bp, installed, time.Unix(1, 0))
		if len(st.Conditions) != 1 || st.Conditions[0].Reason != want || st.InstalledVersion != installed {
			t.Errorf("installed %s: %+v, want reason %s", installed, st, want)
		}
	}
}
