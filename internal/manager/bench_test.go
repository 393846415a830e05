package manager

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

// BenchmarkEvaluate judges a platform of 52 components with two releases
// each, every tenth failing and drifted.
func BenchmarkEvaluate(b *testing.B) { benchmarkEvaluate(b, 0) }

// BenchmarkEvaluateWorkloads is the same platform with three workloads
// per release, one in seven with a pod not ready.
func BenchmarkEvaluateWorkloads(b *testing.B) { benchmarkEvaluate(b, 3) }

func benchmarkEvaluate(b *testing.B, workloads int) {
	spec := platformv1.PlatformInstanceSpec{}
	obs := map[Key]Observation{}
	bps := map[string]*platformv1.Blueprint{}
	for i := range 52 {
		name := fmt.Sprintf("c%02d", i)
		bps[name] = &platformv1.Blueprint{Spec: platformv1.BlueprintSpec{Support: []platformv1.SupportRange{
			{Versions: ">=1.2.0 <1.3.0", Status: platformv1.SupportSupported}, {Versions: ">=1.1.0 <1.2.0", Status: platformv1.SupportBestEffort}}}}
		c := platformv1.InstalledComponent{Name: name, AppVersion: "1.2.3"}
		for j := range 2 {
			ref := platformv1.ReleaseRef{Kind: platformv1.KindHelmRelease, Namespace: "flux-system", Name: fmt.Sprintf("%s-%d", name, j),
				ChartVersion: "0.9.0", ValuesDigest: "sha256:aa"}
			c.Releases = append(c.Releases, ref)
			status, digest := metav1.ConditionTrue, "sha256:aa"
			if i%10 == 0 {
				status, digest = metav1.ConditionFalse, "sha256:bb"
			}
			o := Observation{Found: true, Generation: 1, SpecChartVersion: "0.9.0", ValuesDigest: digest, AppVersion: "1.2.3",
				Conditions: []metav1.Condition{{Type: "Ready", Status: status, Reason: "UpgradeSucceeded", ObservedGeneration: 1}}}
			for w := range workloads {
				ready := int32(2)
				if (i*workloads+w)%7 == 0 {
					ready = 1
				}
				o.Workloads = append(o.Workloads, Workload{Kind: "Deployment", Namespace: name, Name: fmt.Sprintf("%s-%d-%d", name, j, w),
					Generation: 1, ObservedGeneration: 1, Desired: 2, Ready: ready, Updated: 2, Available: ready})
			}
			obs[keyOf(ref)] = o
		}
		spec.Components = append(spec.Components, c)
	}
	b.ReportAllocs()
	for b.Loop() {
		st := Evaluate(spec, obs, bps)
		if st.Drifted != 6 {
			b.Fatalf("drifted %d, want 6", st.Drifted)
		}
	}
}
