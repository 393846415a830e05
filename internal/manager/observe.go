package manager

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/platforminstance"
)

// Flux object kinds the manager reads.
var (
	HelmReleaseGVK   = schema.GroupVersionKind{Group: "helm.toolkit.fluxcd.io", Version: "v2", Kind: "HelmRelease"}
	KustomizationGVK = schema.GroupVersionKind{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Kind: "Kustomization"}
)

// GVK returns the Flux kind a release reference names.
func GVK(kind platformv1.ReleaseKind) schema.GroupVersionKind {
	if kind == platformv1.KindKustomization {
		return KustomizationGVK
	}
	return HelmReleaseGVK
}

// Observation is what the manager reads of one Flux object: the fields
// helm-controller and kustomize-controller set, nothing else.
type Observation struct {
	Found      bool
	Generation int64
	Suspended  bool
	Conditions []metav1.Condition
	// SpecChartVersion is spec.chart.spec.version; empty when the release
	// uses spec.chartRef.
	SpecChartVersion string
	// ValuesDigest of spec.values (see ValuesDigest).
	ValuesDigest string
	// From status.history[0], the latest release helm-controller made.
	AppVersion, ChartVersion string
	// LastAttemptedRevision is status.lastAttemptedRevision (the chart
	// version, or the source revision of a Kustomization).
	LastAttemptedRevision string
	// Workloads are the Deployments, StatefulSets and DaemonSets the
	// release applied (by Flux's origin labels), filled in by the
	// reconciler.
	Workloads []Workload
}

// Observe reads an object returned by the API server; obj nil means it was
// not found.
func Observe(obj *unstructured.Unstructured) (Observation, error) {
	if obj == nil {
		return Observation{}, nil
	}
	o := Observation{Found: true, Generation: obj.GetGeneration()}
	o.Suspended, _, _ = unstructured.NestedBool(obj.Object, "spec", "suspend")
	o.SpecChartVersion, _, _ = unstructured.NestedString(obj.Object, "spec", "chart", "spec", "version")
	values, _, err := unstructured.NestedMap(obj.Object, "spec", "values")
	if err != nil {
		return o, err
	}
	if o.ValuesDigest, err = ValuesDigest(values); err != nil {
		return o, err
	}
	o.LastAttemptedRevision, _, _ = unstructured.NestedString(obj.Object, "status", "lastAttemptedRevision")
	if history, _, _ := unstructured.NestedSlice(obj.Object, "status", "history"); len(history) > 0 {
		if latest, ok := history[0].(map[string]any); ok {
			o.AppVersion, _, _ = unstructured.NestedString(latest, "appVersion")
			o.ChartVersion, _, _ = unstructured.NestedString(latest, "chartVersion")
		}
	}
	if conds, found, _ := unstructured.NestedSlice(obj.Object, "status", "conditions"); found {
		var typed struct {
			C []metav1.Condition `json:"c"`
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(map[string]any{"c": conds}, &typed); err != nil {
			return o, err
		}
		o.Conditions = typed.C
	}
	return o, nil
}

// ValuesDigest is "sha256:<hex>" of values as canonical JSON; see
// platforminstance.ValuesDigest, which the generator records.
func ValuesDigest(values map[string]any) (string, error) {
	return platforminstance.ValuesDigest(values)
}
