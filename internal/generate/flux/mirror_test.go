package flux_test

import (
	"bytes"
	"regexp"
	"testing"

	"github.com/openova-io/openova/internal/generate/flux"
)

// With an artefact mirror every chart source is the mirror and every image
// placeholder the mirror registry: nothing points at the internet.
func TestAirGappedTreeUsesOnlyTheMirror(t *testing.T) {
	spec := append(readExample(t, "one-region"), []byte("  mirror:\n    registry: harbor.acme.internal/mirror\n    charts: oci://harbor.acme.internal/charts\n")...)
	files := render(t, spec, realCatalog(t))
	url := regexp.MustCompile(`(?m)^\s+(url|repo|chart): (\S+)$`)
	var sources int
	for p, data := range files {
		if bytes.Contains(data, []byte(flux.DefaultRegistry)) {
			t.Errorf("%s still uses the default registry %s", p, flux.DefaultRegistry)
		}
		for _, m := range url.FindAllSubmatch(data, -1) {
			v := string(m[2])
			if bytes.HasPrefix(m[2], []byte("oci://")) || bytes.HasPrefix(m[2], []byte("http")) {
				sources++
				if !regexp.MustCompile(`^(oci://harbor\.acme\.internal/(charts|mirror/)|http://[a-z0-9-]+\.[a-z0-9-]+\.svc(:\d+)?(/|$))`).MatchString(v) {
					t.Errorf("%s: %s %s is neither the mirror nor in-cluster", p, m[1], v)
				}
			}
		}
	}
	if sources == 0 {
		t.Fatal("no chart source found in the tree")
	}
}
