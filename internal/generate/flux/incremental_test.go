package flux_test

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/generate/flux"
)

// Same spec and catalog give a byte-identical tree.
func TestRenderIsDeterministic(t *testing.T) {
	cat := realCatalog(t)
	for name := range examples {
		spec := readExample(t, name)
		a, b := render(t, spec, cat), render(t, spec, cat)
		if len(a) != len(b) {
			t.Fatalf("%s: %d then %d files", name, len(a), len(b))
		}
		for p, x := range a {
			if !bytes.Equal(x, b[p]) {
				t.Errorf("%s: %s differs between two runs", name, p)
			}
		}
	}
}

// Upgrading one blueprint (its version and chart version, in a copy of
// the catalog) changes only that component's files and the lock.
func TestBlueprintUpgradeChangesOnlyItsFiles(t *testing.T) {
	const component = "keycloak"
	dir := copyCatalog(t)
	bp := filepath.Join(dir, "platform", component, "blueprint.yaml")
	data, err := os.ReadFile(bp)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := realCatalog(t).Blueprint(component)
	h := b.Spec.Delivery.Helm[0]
	bumped := strings.Replace(string(data), "version: "+b.Spec.Version, "version: 9.9.9", 1)
	bumped = strings.Replace(bumped, "version: "+h.Version, "version: 99.0.0", 1)
	bumped = strings.Replace(bumped, "changelog:\n", "changelog:\n    - version: 9.9.9\n      date: \"2027-01-01\"\n      changes:\n        - test upgrade\n", 1)
	if err := os.WriteFile(bp, []byte(bumped), 0o644); err != nil {
		t.Fatal(err)
	}
	upgraded, err := catalog.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	spec := readExample(t, "two-region")
	before, after := render(t, spec, realCatalog(t)), render(t, spec, upgraded)
	var changed []string
	for p, x := range after {
		if !bytes.Equal(x, before[p]) {
			changed = append(changed, p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			changed = append(changed, p)
		}
	}
	if len(changed) == 0 {
		t.Fatal("the upgrade changed nothing")
	}
	var sawLock, sawComponent bool
	for _, p := range changed {
		switch {
		case p == "openova.lock":
			sawLock = true
		case strings.HasSuffix(p, "/crds/"+flux.CatalystDir+"/platform-instance.yaml"): // the lock's in-cluster twin
		case strings.Contains(p, "/"+component+"/"):
			sawComponent = true
		default:
			t.Errorf("%s changed, but belongs to another component than %s", p, component)
		}
	}
	if !sawLock || !sawComponent {
		t.Errorf("expected the lock and %s's files to change; changed: %v", component, changed)
	}
	t.Logf("%d files changed: %v", len(changed), changed)
}

// copyCatalog copies platform/, products/ and schemas/ of this checkout.
func copyCatalog(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	for _, top := range []string{"platform", "products", "schemas"} {
		src := filepath.Join("../../..", top)
		err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel("../../..", p)
			if d.IsDir() {
				return os.MkdirAll(filepath.Join(dst, rel), 0o755)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return dst
}
