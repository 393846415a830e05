package instance

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes through the parser, defaults and
// validation: none may panic, whatever the input.
func FuzzParse(f *testing.F) {
	f.Add([]byte(baseSpec))
	f.Add([]byte("spec: {regions: [{}, {}, {}], components: [~, 1]}"))
	f.Add([]byte("a: &a [*a, *a]"))
	f.Add([]byte("spec:\n  regions:\n    - workerPools: [{labels: {'': ''}}]"))
	examples, _ := filepath.Glob("../../examples/*.yaml")
	for _, e := range examples {
		if b, err := os.ReadFile(e); err == nil {
			f.Add(b)
		}
	}
	cat := testCatalog()
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Parse(data)
		if err != nil {
			return
		}
		SetDefaults(in)
		_ = Validate(in, cat)
		_ = in.Spec.SharedNetwork()
	})
}
