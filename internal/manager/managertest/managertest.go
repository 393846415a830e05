// Package managertest is test support for the lifecycle manager's day-2
// actions: a catalog one release newer than the embedded one, and an
// instance repository generated from the embedded catalog and pushed to a
// real Gitea.
package managertest

import (
	"context"
	"io/fs"
	"os"
	"path"
	"strings"
	"testing"
	"testing/fstest"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/catalog/catalogtest"
	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/generate"
)

// NewVersion is the version Newer gives the blueprints it bumps.
const NewVersion = "9.9.9"

// Embedded is the catalog built into this binary.
func Embedded(t testing.TB) *catalog.Catalog { return catalogtest.Embedded(t) }

// Newer is the embedded catalog with each named blueprint at NewVersion,
// its first chart at 99.0.0 and a changelog entry "test upgrade of
// <name>": what a newer Catalyst release carries.
func Newer(t testing.TB, names ...string) *catalog.Catalog {
	t.Helper()
	base := Embedded(t)
	mfs := fstest.MapFS{}
	err := fs.WalkDir(openova.Catalog, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(openova.Catalog, p)
		mfs[p] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, ok := base.Blueprint(n)
		if !ok || len(b.Spec.Delivery.Helm) == 0 {
			t.Fatalf("%s: not a blueprint with a Helm chart", n)
		}
		p := path.Join(b.Dir, catalog.BlueprintFile)
		s := string(mfs[p].Data)
		s = strings.Replace(s, "version: "+b.Spec.Version, "version: "+NewVersion, 1)
		s = strings.Replace(s, "version: "+b.Spec.Delivery.Helm[0].Version, "version: 99.0.0", 1)
		s = strings.Replace(s, "changelog:\n", "changelog:\n    - version: "+NewVersion+"\n      date: \"2027-01-01\"\n      changes:\n        - test upgrade of "+n+"\n", 1)
		mfs[p] = &fstest.MapFile{Data: []byte(s)}
	}
	c, err := catalog.Load(mfs)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if b, _ := c.Blueprint(n); b.Spec.Version != NewVersion {
			t.Fatalf("%s: version not bumped", n)
		}
	}
	return c
}

// Files is the instance repository `catalyst generate` writes for the
// example instance (examples/<example>.yaml, relative to root) with cat.
func Files(t testing.TB, root, example string, cat *catalog.Catalog) map[string][]byte {
	t.Helper()
	spec, err := os.ReadFile(path.Join(root, "examples", example+".yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := generate.Generate(spec, cat)
	if err != nil {
		t.Fatal(err)
	}
	return filetree.Checkout(tree)
}

// Seed creates the repository and pushes files to main.
func Seed(t testing.TB, c *forge.Client, r forge.Repo, files map[string][]byte) {
	t.Helper()
	ctx := context.Background()
	if err := c.EnsureOrg(ctx, r.Owner); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureRepo(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.PushTree(ctx, r, "main", files, "Seed", forge.Signature{Name: "seed", Email: "seed@example.com"}); err != nil {
		t.Fatal(err)
	}
}

// Changed lists the paths whose content differs between two snapshots.
func Changed(a, b map[string][]byte) []string {
	var out []string
	for p, x := range b {
		if y, ok := a[p]; !ok || string(x) != string(y) {
			out = append(out, p)
		}
	}
	for p := range a {
		if _, ok := b[p]; !ok {
			out = append(out, p)
		}
	}
	return out
}

// LockOrTwin reports whether p is the lock or its in-cluster twin (the
// PlatformInstance in clusters/<region>/crds/catalyst/): the files besides
// a component's own that an upgrade of it changes.
func LockOrTwin(p string) bool {
	return p == "openova.lock" || strings.HasSuffix(p, "/crds/catalyst/platform-instance.yaml")
}
