package platforminstance

import (
	"strings"
	"testing"
)

func TestRelease(t *testing.T) {
	hr := map[string]any{"apiVersion": HelmReleaseAPIVersion, "kind": "HelmRelease",
		"metadata": map[string]any{"name": "keda", "namespace": "flux-system", "labels": map[string]any{BlueprintLabel: "keda"}},
		"spec": map[string]any{"chart": map[string]any{"spec": map[string]any{"version": "2.18.0"}},
			"values": map[string]any{"b": []string{"x"}, "a": 3}}}
	bp, ref, ok, err := Release(hr)
	if err != nil || !ok || bp != "keda" || ref.ChartVersion != "2.18.0" || ref.Namespace != "flux-system" {
		t.Fatalf("Release = %s %+v %t %v", bp, ref, ok, err)
	}
	// The digest of in-memory values equals that of the same values read back from YAML.
	want, _ := ValuesDigest(map[string]any{"a": float64(3), "b": []any{"x"}})
	if ref.ValuesDigest != want {
		t.Errorf("digest %s, want %s", ref.ValuesDigest, want)
	}
	if _, _, ok, err := Release(map[string]any{"apiVersion": "v1", "kind": "ConfigMap"}); ok || err != nil {
		t.Errorf("a ConfigMap: %t %v", ok, err)
	}
	delete(hr["metadata"].(map[string]any), "labels")
	if _, _, _, err := Release(hr); err == nil || !strings.Contains(err.Error(), BlueprintLabel) {
		t.Errorf("no label: %v", err)
	}
	pi := New("acme", []string{"fsn"}, []Component{{Name: "z", BlueprintVersion: "1.0.0"}, {Name: "a", BlueprintVersion: "1.0.0"}}, nil)
	if pi.Spec.Components[0].Name != "a" || pi.Name != "acme" {
		t.Errorf("components not sorted: %+v", pi.Spec.Components)
	}
}
