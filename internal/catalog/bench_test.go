package catalog

import (
	"os"
	"testing"
)

// BenchmarkLoadAndLintRealCatalog measures loading (schema validation and
// strict decoding of every file) and linting the repository's catalog.
func BenchmarkLoadAndLintRealCatalog(b *testing.B) {
	fsys := os.DirFS("../..")
	for b.Loop() {
		c, err := Load(fsys)
		if err != nil {
			b.Fatal(err)
		}
		_ = Lint(c)
	}
}

// BenchmarkResolveEverything measures resolving every component at once.
func BenchmarkResolveEverything(b *testing.B) {
	c, err := Load(os.DirFS("../.."))
	if err != nil {
		b.Fatal(err)
	}
	var all []string
	for _, bp := range c.Blueprints {
		all = append(all, bp.Name())
	}
	for b.Loop() {
		if _, err := c.Resolve(all); err != nil {
			b.Fatal(err)
		}
	}
}
