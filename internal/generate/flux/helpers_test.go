package flux_test

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/generate"
)

// examples are the instance specs the golden trees are made from.
var examples = map[string]string{
	"one-region": "../../../examples/one-region.yaml",
	"two-region": "../../../examples/two-region.yaml",
}

var (
	catOnce sync.Once
	repoCat *catalog.Catalog
	catErr  error
)

// realCatalog is the catalog of this checkout.
func realCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	catOnce.Do(func() { repoCat, catErr = catalog.LoadDir("../../..") })
	if catErr != nil {
		t.Fatal(catErr)
	}
	return repoCat
}

func readExample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(examples[name])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ours reports whether the flux renderer owns a path of the tree.
func ours(p string) bool {
	return strings.HasPrefix(p, "clusters/") || strings.HasPrefix(p, "bootstrap/") ||
		p == "README.md" || p == "CODEOWNERS" || p == "openova.lock"
}

// render generates an example with the full composition and keeps the
// files the flux renderer owns.
func render(t testing.TB, spec []byte, cat *catalog.Catalog) map[string][]byte {
	t.Helper()
	tree, err := generate.Generate(spec, cat)
	if err != nil {
		t.Fatal(err)
	}
	return filesOf(tree)
}

func filesOf(tree *filetree.Tree) map[string][]byte {
	out := map[string][]byte{}
	for _, p := range tree.Paths() {
		if ours(p) {
			out[p], _ = tree.Get(p)
		}
	}
	return out
}

// generateErr generates with the checkout's catalog, for error cases.
func generateErr(spec []byte) (*filetree.Tree, error) {
	cat, err := catalog.LoadDir("../../..")
	if err != nil {
		return nil, err
	}
	return generate.Generate(spec, cat)
}
