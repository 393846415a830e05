package manager

import (
	"fmt"
	"slices"
	"strings"

	"github.com/Masterminds/semver/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

// Key names a Flux object.
type Key struct {
	Kind            platformv1.ReleaseKind
	Namespace, Name string
}

func keyOf(r platformv1.ReleaseRef) Key {
	kind := r.Kind
	if kind == "" {
		kind = platformv1.KindHelmRelease
	}
	return Key{Kind: kind, Namespace: r.Namespace, Name: r.Name}
}

func (k Key) String() string { return fmt.Sprintf("%s %s/%s", k.Kind, k.Namespace, k.Name) }

// healthRank orders health from best to worst for roll-ups.
var healthRank = map[platformv1.Health]int{
	platformv1.HealthHealthy: 0, platformv1.HealthProgressing: 1, platformv1.HealthUnknown: 2,
	platformv1.HealthDegraded: 3, platformv1.HealthMissing: 4,
}

var supportRank = map[platformv1.Support]int{
	platformv1.SupportSupported: 0, platformv1.SupportBestEffort: 1, platformv1.SupportUnknown: 2, platformv1.SupportUnsupported: 3,
}

// ReleaseHealth reads the conditions the Flux controllers set: Stalled or
// Ready=False is Degraded; Ready=True for the current generation is
// Healthy; anything else (Reconciling, Ready=Unknown, not yet observed) is
// Progressing.
func ReleaseHealth(o Observation) (platformv1.Health, string) {
	if !o.Found {
		return platformv1.HealthMissing, "not found"
	}
	suffix := ""
	if o.Suspended {
		suffix = " (suspended)"
	}
	if c := meta.FindStatusCondition(o.Conditions, "Stalled"); c != nil && c.Status == metav1.ConditionTrue {
		return platformv1.HealthDegraded, fmt.Sprintf("stalled: %s: %s%s", c.Reason, c.Message, suffix)
	}
	ready := meta.FindStatusCondition(o.Conditions, "Ready")
	switch {
	case ready == nil:
		// Reconciling says what it waits for (e.g. a dependency not ready).
		if c := meta.FindStatusCondition(o.Conditions, "Reconciling"); c != nil && c.Status == metav1.ConditionTrue && c.Message != "" {
			return platformv1.HealthProgressing, fmt.Sprintf("%s: %s%s", c.Reason, c.Message, suffix)
		}
		return platformv1.HealthProgressing, "not yet reconciled" + suffix
	case ready.Status == metav1.ConditionFalse:
		return platformv1.HealthDegraded, fmt.Sprintf("%s: %s%s", ready.Reason, ready.Message, suffix)
	case ready.Status == metav1.ConditionTrue && ready.ObservedGeneration >= o.Generation:
		return platformv1.HealthHealthy, ready.Message + suffix
	case ready.Status == metav1.ConditionTrue:
		return platformv1.HealthProgressing, fmt.Sprintf("generation %d not yet reconciled%s", o.Generation, suffix)
	}
	return platformv1.HealthProgressing, fmt.Sprintf("%s: %s%s", ready.Reason, ready.Message, suffix)
}

// Judge returns the status of the first support-matrix row whose
// constraint matches version; a version matching no row is unsupported.
func Judge(version string, matrix []platformv1.SupportRange) (platformv1.Support, error) {
	v, err := semver.NewVersion(dateRelease(version))
	if err != nil {
		return platformv1.SupportUnknown, fmt.Errorf("running version %q is not semver", version)
	}
	for i, row := range matrix {
		c, err := semver.NewConstraint(row.Versions)
		if err != nil {
			return platformv1.SupportUnknown, fmt.Errorf("support[%d].versions %q: %v", i, row.Versions, err)
		}
		if c.Check(v) {
			return row.Status, nil
		}
	}
	return platformv1.SupportUnsupported, nil
}

// dateRelease maps a date-stamped release (MinIO's
// RELEASE.2025-10-15T17-29-55Z) to the YEAR.MONTH.DAY version support
// matrices use for it; other versions pass through.
func dateRelease(v string) string {
	var y, m, d int
	if !strings.HasPrefix(v, "RELEASE.") {
		return v
	}
	if _, err := fmt.Sscanf(v, "RELEASE.%4d-%2d-%2dT", &y, &m, &d); err != nil {
		return v
	}
	return fmt.Sprintf("%d.%d.%d", y, m, d)
}

// runningVersion is the upstream version a release runs: helm-controller's
// latest history entry, else the lock's app version when the chart that ran
// is the locked one (or for a Kustomization, whose manifests carry no
// version the manager can read).
func runningVersion(c platformv1.InstalledComponent, r platformv1.ReleaseRef, o Observation) string {
	if o.AppVersion != "" {
		return o.AppVersion
	}
	if r.Kind == platformv1.KindKustomization {
		return c.AppVersion
	}
	chart := o.ChartVersion
	if chart == "" {
		chart = o.LastAttemptedRevision
	}
	if chart != "" && chart == r.ChartVersion {
		return c.AppVersion
	}
	return ""
}

// drift lists how a release differs from the lock.
func drift(k Key, r platformv1.ReleaseRef, o Observation) (lines []string, values bool) {
	if !o.Found || k.Kind != platformv1.KindHelmRelease {
		return nil, false
	}
	chart := o.SpecChartVersion
	if chart == "" { // spec.chartRef: only the release history says
		chart = o.ChartVersion
	}
	if r.ChartVersion != "" && chart != "" && chart != r.ChartVersion {
		lines = append(lines, fmt.Sprintf("%s: chart version %s, the instance lock says %s", k, chart, r.ChartVersion))
	}
	if r.ValuesDigest != "" && o.ValuesDigest != r.ValuesDigest {
		lines = append(lines, fmt.Sprintf("%s: spec.values differ from the generated tree", k))
		values = true
	}
	return lines, values
}

// Evaluate judges every component of spec from the observed releases and
// the Blueprints available (by name). Conditions are left to Conditions.
func Evaluate(spec platformv1.PlatformInstanceSpec, obs map[Key]Observation, blueprints map[string]*platformv1.Blueprint) platformv1.PlatformInstanceStatus {
	st := platformv1.PlatformInstanceStatus{Health: platformv1.HealthHealthy, Support: platformv1.SupportSupported}
	for _, c := range spec.Components {
		cs := evaluateComponent(c, obs, blueprints[c.Name])
		st.Components = append(st.Components, cs)
		if len(cs.Drift) > 0 {
			st.Drifted++
		}
		if len(c.Releases) > 0 && healthRank[cs.Health] > healthRank[st.Health] {
			st.Health = cs.Health
		}
		if supportRank[cs.Support] > supportRank[st.Support] {
			st.Support = cs.Support
		}
	}
	return st
}

func evaluateComponent(c platformv1.InstalledComponent, obs map[Key]Observation, bp *platformv1.Blueprint) platformv1.ComponentStatus {
	cs := platformv1.ComponentStatus{Name: c.Name, Health: platformv1.HealthHealthy, Support: platformv1.SupportSupported}
	if len(c.Releases) == 0 {
		cs.Health, cs.Message = platformv1.HealthUnknown, "no Flux release to observe"
	}
	var msgs []string
	valuesDrift := false
	for _, r := range c.Releases {
		k := keyOf(r)
		o := obs[k]
		h, hmsgs := releaseAndWorkloads(k, o)
		if healthRank[h] > healthRank[cs.Health] {
			cs.Health = h
		}
		msgs = append(msgs, hmsgs...)
		lines, values := drift(k, r, o)
		cs.Drift = append(cs.Drift, lines...)
		valuesDrift = valuesDrift || values

		s, why := releaseSupport(c, r, o, bp)
		if why != "" {
			msgs = append(msgs, fmt.Sprintf("%s: %s", k, why))
		}
		if supportRank[s] > supportRank[cs.Support] {
			cs.Support = s
		}
		if v := runningVersion(c, r, o); v != "" && cs.RunningVersion == "" {
			cs.RunningVersion = v
		}
	}
	if len(c.Releases) == 0 {
		cs.Support, msgs = componentSupportFromLock(c, bp)
		msgs = append([]string{cs.Message}, msgs...)
	}
	// Values changed outside the blueprint are a customisation: best effort.
	if valuesDrift && cs.Support == platformv1.SupportSupported {
		cs.Support = platformv1.SupportBestEffort
		msgs = append(msgs, "values differ from the blueprint's: best effort")
	}
	cs.Message = truncate(strings.Join(slices.Compact(msgs), "; "), 1024)
	return cs
}

func releaseSupport(c platformv1.InstalledComponent, r platformv1.ReleaseRef, o Observation, bp *platformv1.Blueprint) (platformv1.Support, string) {
	if bp == nil {
		return platformv1.SupportUnknown, fmt.Sprintf("no Blueprint %q in the cluster to judge support", c.Name)
	}
	if !o.Found {
		return platformv1.SupportUnknown, "no running version"
	}
	v := runningVersion(c, r, o)
	if v == "" {
		return platformv1.SupportUnknown, "running version unknown (no status.history appVersion, chart differs from the lock)"
	}
	s, err := Judge(v, bp.Spec.Support)
	if err != nil {
		return platformv1.SupportUnknown, err.Error()
	}
	if s != platformv1.SupportSupported {
		return s, fmt.Sprintf("version %s is %s", v, s)
	}
	return s, ""
}

func componentSupportFromLock(c platformv1.InstalledComponent, bp *platformv1.Blueprint) (platformv1.Support, []string) {
	if bp == nil {
		return platformv1.SupportUnknown, []string{fmt.Sprintf("no Blueprint %q in the cluster to judge support", c.Name)}
	}
	if c.AppVersion == "" {
		return platformv1.SupportUnknown, []string{"no app version in the lock"}
	}
	s, err := Judge(c.AppVersion, bp.Spec.Support)
	if err != nil {
		return platformv1.SupportUnknown, []string{err.Error()}
	}
	return s, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
