// Package catalogtest gives tests the embedded catalog, loaded or written
// out as a checkout they may edit.
package catalogtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/catalog"
)

// Embedded is the catalog built into this binary.
func Embedded(t testing.TB) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load(openova.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Checkout writes schemas/ and the named directories of the embedded
// catalog (e.g. "platform/cilium", "products/axon"; all of it when none
// is named) to a new directory laid out as a catalog checkout.
func Checkout(t testing.TB, dirs ...string) string {
	t.Helper()
	root := t.TempDir()
	if len(dirs) == 0 {
		dirs = []string{"platform", "products"}
	}
	for _, d := range append([]string{"schemas"}, dirs...) {
		err := fs.WalkDir(openova.Catalog, d, func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			data, err := fs.ReadFile(openova.Catalog, p)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755); err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(root, p), data, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}
