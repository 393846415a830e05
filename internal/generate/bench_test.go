package generate

import (
	"os"
	"testing"
)

// The two-region full instance through the whole composition (Flux tree,
// bundle, OpenTofu); the goal is under 100 ms per op on the CI machine.
func BenchmarkGenerateTwoRegionFull(b *testing.B) {
	spec, err := os.ReadFile("../../examples/two-region.yaml")
	if err != nil {
		b.Fatal(err)
	}
	cat := repoCatalog(b)
	b.ReportAllocs()
	var files int
	for b.Loop() {
		t, err := Generate(spec, cat)
		if err != nil {
			b.Fatal(err)
		}
		files = t.Len()
	}
	b.ReportMetric(float64(files), "files")
}
