package flux_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden trees under internal/generate/testdata/golden")

const goldenDir = "../testdata/golden"

// The rendered trees of both examples match the golden trees file for
// file; -update rewrites them (review the diff before committing).
func TestGoldenTrees(t *testing.T) {
	cat := realCatalog(t)
	for name := range examples {
		t.Run(name, func(t *testing.T) {
			files := render(t, readExample(t, name), cat)
			dir := filepath.Join(goldenDir, name)
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				for p, data := range files {
					f := filepath.Join(dir, filepath.FromSlash(p))
					if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(f, data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			want := map[string][]byte{}
			err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				rel, _ := filepath.Rel(dir, p)
				want[filepath.ToSlash(rel)], err = os.ReadFile(p)
				return err
			})
			if err != nil {
				t.Fatalf("%v (run go test ./internal/generate/flux -run TestGoldenTrees -update)", err)
			}
			var paths []string
			for p := range files {
				paths = append(paths, p)
			}
			for p := range want {
				if _, ok := files[p]; !ok {
					paths = append(paths, p)
				}
			}
			sort.Strings(paths)
			for _, p := range paths {
				got, g := files[p]
				exp, w := want[p]
				switch {
				case !g:
					t.Errorf("%s: in the golden tree, not generated", p)
				case !w:
					t.Errorf("%s: generated, not in the golden tree", p)
				case !bytes.Equal(got, exp):
					t.Errorf("%s: differs from the golden file (rerun with -update and review the diff)", p)
				}
			}
			t.Logf("%d files", len(files))
		})
	}
}
