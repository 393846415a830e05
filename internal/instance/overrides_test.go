package instance

import (
	"reflect"
	"testing"
)

func TestValuesForMergesInstanceThenRegion(t *testing.T) {
	in, err := Parse([]byte(baseSpec + `  overrides:
    valkey:
      valkey:
        replica: {replicas: 2, persistence: {size: 8Gi}}
        metrics: {enabled: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	in.Spec.Regions[1].Overrides = Overrides{"valkey": {"valkey": {
		"replica": map[string]any{"persistence": map[string]any{"size": "16Gi"}},
		"metrics": false,
	}}}
	SetDefaults(in)
	if errs := Validate(in, testCatalog()); len(errs) != 0 {
		t.Fatal(errs.ToAggregate())
	}
	s := &in.Spec
	first := s.ValuesFor(s.Regions[0], "valkey", "valkey")
	want0 := map[string]any{
		"replica": map[string]any{"replicas": float64(2), "persistence": map[string]any{"size": "8Gi"}},
		"metrics": map[string]any{"enabled": true},
	}
	if !reflect.DeepEqual(first, want0) {
		t.Fatalf("first region:\n got %#v\nwant %#v", first, want0)
	}
	second := s.ValuesFor(s.Regions[1], "valkey", "valkey")
	want1 := map[string]any{
		// The region's map merges key by key; its scalar replaces a map.
		"replica": map[string]any{"replicas": float64(2), "persistence": map[string]any{"size": "16Gi"}},
		"metrics": false,
	}
	if !reflect.DeepEqual(second, want1) {
		t.Fatalf("second region:\n got %#v\nwant %#v", second, want1)
	}
	if s.Overrides["valkey"]["valkey"]["replica"].(map[string]any)["persistence"].(map[string]any)["size"] != "8Gi" {
		t.Fatal("merging must not modify the instance's overrides")
	}
	if s.ValuesFor(s.Regions[0], "cnpg", "cnpg") != nil {
		t.Fatal("no overrides must give nil")
	}
}
