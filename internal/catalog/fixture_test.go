package catalog

import (
	"io/fs"
	"os"
	"path"
	"testing"
	"testing/fstest"

	"sigs.k8s.io/yaml"
)

// fixtureFS returns an in-memory copy of testdata/catalog (a small but
// complete catalog: the 25 mandatory components, a few à la carte ones and
// three products) with the published schemas of this repository.
func fixtureFS(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	copyTree(t, m, os.DirFS("testdata/catalog"), "")
	copyTree(t, m, os.DirFS("../.."), "schemas")
	return m
}

func copyTree(t *testing.T, dst fstest.MapFS, src fs.FS, root string) {
	t.Helper()
	if root == "" {
		root = "."
	}
	err := fs.WalkDir(src, root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(src, p)
		if err != nil {
			return err
		}
		dst[p] = &fstest.MapFile{Data: data, Mode: 0o644}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// edit rewrites one YAML document of fsys through fn.
func edit(t *testing.T, fsys fstest.MapFS, file string, fn func(doc map[string]any)) {
	t.Helper()
	f, ok := fsys[file]
	if !ok {
		t.Fatalf("fixture has no %s", file)
	}
	doc := map[string]any{}
	if err := yaml.Unmarshal(f.Data, &doc); err != nil {
		t.Fatal(err)
	}
	fn(doc)
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	fsys[file] = &fstest.MapFile{Data: out, Mode: 0o644}
}

// set assigns v at a dotted path of doc ("spec.dr.method"); [i] indexes lists.
func set(doc map[string]any, p string, v any) {
	keys := splitPath(p)
	var cur any = doc
	for i, k := range keys {
		last := i == len(keys)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[k.key] = v
				return
			}
			if _, ok := c[k.key]; !ok {
				c[k.key] = map[string]any{}
			}
			cur = c[k.key]
		}
		if k.index >= 0 {
			l := cur.([]any)
			if last {
				l[k.index] = v
				return
			}
			cur = l[k.index]
		}
	}
}

type pathKey struct {
	key   string
	index int
}

func splitPath(p string) []pathKey {
	var out []pathKey
	for _, part := range splitDots(p) {
		k := pathKey{key: part, index: -1}
		if i := len(part) - 1; i > 0 && part[i] == ']' {
			open := 0
			for j := i; j >= 0; j-- {
				if part[j] == '[' {
					open = j
					break
				}
			}
			k.key = part[:open]
			n := 0
			for _, ch := range part[open+1 : i] {
				n = n*10 + int(ch-'0')
			}
			k.index = n
		}
		out = append(out, k)
	}
	return out
}

func splitDots(p string) []string {
	var out []string
	start := 0
	for i := 0; i < len(p); i++ {
		if p[i] == '.' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return append(out, p[start:])
}

func bpFile(name string) string { return path.Join(PlatformDir, name, BlueprintFile) }
func prFile(name string) string { return path.Join(ProductsDir, name, ProductFile) }

func mustLoad(t *testing.T, fsys fs.FS) *Catalog {
	t.Helper()
	c, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
