package flux_test

import (
	"testing"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/generate/flux"
	"github.com/openova-io/openova/internal/instance"
)

// BenchmarkRenderTwoRegionFull renders the Flux half of the two-region
// example with every component and product (the catalog loaded once).
func BenchmarkRenderTwoRegionFull(b *testing.B) {
	cat := realCatalog(b)
	spec := readExample(b, "two-region")
	in, err := instance.Check(spec, instance.NewCatalog(cat.Blueprints, cat.Products))
	if err != nil {
		b.Fatal(err)
	}
	var files int
	b.ReportAllocs()
	for b.Loop() {
		t := filetree.New()
		if err := flux.Render(in, spec, cat, t); err != nil {
			b.Fatal(err)
		}
		files = t.Len()
	}
	b.ReportMetric(float64(files), "files")
}

var _ = catalog.BlueprintFile
