package regen

import (
	"errors"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
	"testing"

	"sigs.k8s.io/yaml"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/generate"
	"github.com/openova-io/openova/internal/instance"
)

var embedded = sync.OnceValues(func() (*catalog.Catalog, error) { return catalog.Load(openova.Catalog) })

func realCatalog(t testing.TB) *catalog.Catalog {
	t.Helper()
	c, err := embedded()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newer is the embedded catalog with each named blueprint at version 9.9.9
// (first chart at 99.0.0, a changelog entry): a newer Catalyst release.
func newer(t testing.TB, names ...string) *catalog.Catalog {
	t.Helper()
	base := realCatalog(t)
	over := map[string][]byte{}
	for _, n := range names {
		b, _ := base.Blueprint(n)
		c := *b
		c.Spec.Version = "9.9.9"
		c.Spec.Changelog = append([]catalog.ChangelogEntry{{Version: "9.9.9", Date: "2027-01-01", Changes: []string{"test upgrade of " + n}}}, b.Spec.Changelog...)
		c.Spec.Delivery.Helm = slices.Clone(b.Spec.Delivery.Helm)
		c.Spec.Delivery.Helm[0].Version = "99.0.0"
		raw, err := yaml.Marshal(&c)
		if err != nil {
			t.Fatal(err)
		}
		over[path.Join(b.Dir, catalog.BlueprintFile)] = raw
	}
	c, err := catalog.Load(overlay{base: base.FS(), files: over})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func example(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../examples/" + name + ".yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// snapshot is the repository after `catalyst generate` (manifest included).
func snapshot(t testing.TB, spec []byte, cat *catalog.Catalog) map[string][]byte {
	t.Helper()
	tree, err := generate.Generate(spec, cat)
	if err != nil {
		t.Fatal(err)
	}
	return filetree.Checkout(tree)
}

// merged is the repository once the change is merged.
func merged(files map[string][]byte, c Change) map[string][]byte {
	out := map[string][]byte{}
	for p, b := range files {
		out[p] = b
	}
	for p, b := range c.Files {
		out[p] = b
	}
	for _, p := range c.Delete {
		delete(out, p)
	}
	return out
}

func changed(c Change) []string {
	out := append(append(append([]string{}, c.Stat.Added...), c.Stat.Modified...), c.Stat.Removed...)
	slices.Sort(out)
	return out
}

// An upgrade of keycloak, from a catalog where cert-manager is newer too,
// changes exactly what regenerating with only keycloak newer changes: its
// own files and its lock entry; customer files, even inside keycloak's
// directory, are untouched; the same upgrade again changes nothing.
func TestUpgradeTouchesOnlyThatComponent(t *testing.T) {
	spec := example(t, "two-region")
	files := snapshot(t, spec, realCatalog(t))
	files["clusters/fsn/platform/keycloak/NOTES.md"] = []byte("ours\n")
	files["docs/runbook.md"] = []byte("ours\n")

	want, err := filetree.DiffFiles(mustGenerate(t, spec, newer(t, "keycloak")), files)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Upgrade(files, newer(t, "keycloak", "cert-manager"), "keycloak", "9.9.9")
	if err != nil {
		t.Fatal(err)
	}
	got := changed(c)
	if len(got) == 0 || !slices.Equal(got, changed(Change{Stat: want})) {
		t.Fatalf("upgrade changed %v\nwant %v", got, changed(Change{Stat: want}))
	}
	for _, p := range got {
		if !lockOrTwin(p) && !strings.Contains(p, "/keycloak/") {
			t.Errorf("%s changed by an upgrade of keycloak", p)
		}
	}
	if len(c.Delete) != 0 {
		t.Errorf("deleted %v", c.Delete)
	}
	for _, p := range []string{"clusters/fsn/platform/keycloak/NOTES.md", "docs/runbook.md"} {
		if _, ok := c.Files[p]; ok {
			t.Errorf("customer file %s written", p)
		}
	}
	lock := string(c.Files["openova.lock"])
	if !strings.Contains(lock, "  keycloak:\n    blueprint: 9.9.9\n") {
		t.Errorf("keycloak's lock entry not moved:\n%s", lock)
	}
	if strings.Contains(lock, "blueprint: 9.9.9\n    appVersion: \""+mustBlueprint(t, "cert-manager").Spec.Upstream.AppVersion) ||
		strings.Count(lock, "9.9.9") != 1 {
		t.Errorf("the lock moved more than keycloak:\n%s", lock)
	}
	again, err := Upgrade(merged(files, c), newer(t, "keycloak", "cert-manager"), "keycloak", "9.9.9")
	if err != nil || !again.Empty() {
		t.Fatalf("second upgrade: %v, %v", changed(again), err)
	}
	// The next upgrade, of cert-manager, leaves keycloak at 9.9.9.
	next, err := Upgrade(merged(files, c), newer(t, "keycloak", "cert-manager"), "cert-manager", "9.9.9")
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range changed(next) {
		if !lockOrTwin(p) && !strings.Contains(p, "/cert-manager/") {
			t.Errorf("%s changed by an upgrade of cert-manager", p)
		}
	}
}

func TestUpgradeRefusals(t *testing.T) {
	files := snapshot(t, example(t, "one-region"), realCatalog(t))
	cat := newer(t, "cert-manager")
	for _, tc := range []struct{ component, version, want string }{
		{"cert-manager", "8.0.0", "the catalog offers 9.9.9"},
		{"milvus", "1.0.0", "not installed"},
		{"nosuch", "1.0.0", "not installed"},
	} {
		if _, err := Upgrade(files, cat, tc.component, tc.version); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Upgrade(%s, %s) = %v, want %q", tc.component, tc.version, err, tc.want)
		}
	}
	delete(files, "openova.lock")
	if _, err := Upgrade(files, cat, "cert-manager", "9.9.9"); err == nil || !strings.Contains(err.Error(), "openova.lock") {
		t.Errorf("no lock: %v", err)
	}
}

// Enabling the relay product adds its components' directories, instance.yaml,
// the lock and the layer kustomizations that list them, nothing else.
func TestEnablePack(t *testing.T) {
	cat := realCatalog(t)
	files := snapshot(t, example(t, "one-region"), cat)
	before, _ := ParseLock(files)
	c, err := EnablePack(files, cat, "relay")
	if err != nil {
		t.Fatal(err)
	}
	spec := string(c.Files["instance.yaml"])
	if !strings.Contains(spec, "products:\n    - relay\n") || !strings.HasPrefix(spec, "# A one-region OpenOva instance") {
		t.Errorf("instance.yaml edit lost the comments or did not add relay:\n%s", spec)
	}
	after, err := ParseLock(merged(files, c))
	if err != nil {
		t.Fatal(err)
	}
	var added []string
	for n, lc := range after.Components {
		old, had := before.Components[n]
		switch {
		case !had:
			added = append(added, n)
		case old.Blueprint != lc.Blueprint:
			t.Errorf("%s moved from %s to %s", n, old.Blueprint, lc.Blueprint)
		}
	}
	for _, m := range []string{"keycloak", "stalwart", "livekit", "stunner", "matrix"} {
		if !slices.Contains(added, m) {
			t.Errorf("relay's %s not added (added %v)", m, added)
		}
	}
	for _, p := range changed(c) {
		parts := strings.Split(p, "/")
		switch {
		case p == "instance.yaml" || p == "openova.lock" || p == "README.md":
		// The seed Job and the first node's cloud-init carry instance.yaml.
		case p == "bootstrap/acme-fsn/30-seed.yaml" || p == "terraform/cloud-init/acme-fsn/server-init.yaml.tftpl":
		case p == "clusters/fsn/layers.yaml": // the products layer appears
		case lockOrTwin(p):
		case len(parts) == 4 && parts[0] == "clusters" && parts[3] == "kustomization.yaml":
		case len(parts) > 4 && parts[0] == "clusters" && slices.Contains(added, parts[3]):
		default:
			t.Errorf("%s changed by enabling relay", p)
		}
	}
	if len(c.Delete) != 0 {
		t.Errorf("deleted %v", c.Delete)
	}
	again, err := EnablePack(merged(files, c), cat, "relay", "keycloak", "cilium")
	if err != nil || !again.Empty() {
		t.Fatalf("enabling relay again: %v, %v", changed(again), err)
	}

	_, err = EnablePack(files, cat, "nosuch")
	var verr *instance.ValidationError
	if !errors.As(err, &verr) || !strings.Contains(err.Error(), "spec.components[0]") {
		t.Errorf("unknown name: %v, want a validation error naming spec.components[0]", err)
	}
}

// Adding a second region generates its cluster, bundle and OpenTofu; the
// first region's component versions stay locked.
func TestAddRegion(t *testing.T) {
	cat := realCatalog(t)
	files := snapshot(t, example(t, "one-region"), cat)
	hel := instance.Region{Name: "hel", Location: "hel1",
		ControlPlane: instance.ControlPlane{Count: 1, ServerType: "cpx31"},
		WorkerPools:  []instance.WorkerPool{{Name: "default", ServerType: "cpx41", Count: 3}}}
	c, err := AddRegion(files, cat, hel)
	if err != nil {
		t.Fatal(err)
	}
	var helFiles, bundle, tofu int
	for _, p := range c.Stat.Added {
		switch {
		case strings.HasPrefix(p, "clusters/hel/"):
			helFiles++
		case strings.HasPrefix(p, "bootstrap/acme-hel/"):
			bundle++
		case strings.HasPrefix(p, "terraform/"):
			tofu++
		}
	}
	if helFiles < 20 || bundle == 0 {
		t.Errorf("added %d files under clusters/hel, %d under bootstrap/acme-hel: %v", helFiles, bundle, c.Stat.Added)
	}
	if !slices.Contains(c.Stat.Modified, "instance.yaml") || len(c.Delete) != 0 {
		t.Errorf("modified %v, deleted %v", c.Stat.Modified, c.Delete)
	}
	if !strings.Contains(string(c.Files["instance.yaml"]), "- name: hel\n") {
		t.Errorf("instance.yaml:\n%s", c.Files["instance.yaml"])
	}
	t.Logf("add region: %d added (%d OpenTofu), %d modified: %v", len(c.Stat.Added), tofu, len(c.Stat.Modified), c.Stat.Modified)
	again, err := AddRegion(merged(files, c), cat, hel)
	if err != nil || !again.Empty() {
		t.Fatalf("adding hel again: %v, %v", changed(again), err)
	}
	other := hel
	other.Location = "nbg1"
	if _, err := AddRegion(merged(files, c), cat, other); err == nil || !strings.Contains(err.Error(), "spec.regions[1]") {
		t.Errorf("a different hel: %v", err)
	}
	bad := hel
	bad.Name, bad.Location = "nbg", "mars1"
	if _, err := AddRegion(files, cat, bad); err == nil || !strings.Contains(err.Error(), "spec.regions[1].location") {
		t.Errorf("bad location: %v, want a validation error naming spec.regions[1].location", err)
	}
}

func mustGenerate(t testing.TB, spec []byte, cat *catalog.Catalog) *filetree.Tree {
	t.Helper()
	tree, err := generate.Generate(spec, cat)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func mustBlueprint(t testing.TB, name string) *catalog.Blueprint {
	b, ok := realCatalog(t).Blueprint(name)
	if !ok {
		t.Fatalf("no %s", name)
	}
	return b
}

// lockOrTwin: the lock, or its in-cluster twin (the PlatformInstance).
func lockOrTwin(p string) bool {
	return p == "openova.lock" || strings.HasSuffix(p, "/crds/catalyst/platform-instance.yaml")
}

// Cilium is also rendered outside its directories (the first node's
// OpenTofu installs its chart): those files move with it, nothing of the
// other components does.
func TestUpgradeCiliumMovesItsOpenTofu(t *testing.T) {
	files := snapshot(t, example(t, "one-region"), realCatalog(t))
	c, err := Upgrade(files, newer(t, "cilium", "keda"), "cilium", "9.9.9")
	if err != nil {
		t.Fatal(err)
	}
	tofu := 0
	for _, p := range changed(c) {
		switch {
		case strings.HasPrefix(p, "terraform/"):
			tofu++
		case lockOrTwin(p) || strings.Contains(p, "/cilium/"):
		default:
			t.Errorf("%s changed by an upgrade of cilium", p)
		}
	}
	if tofu == 0 {
		t.Errorf("cilium's chart version did not reach the OpenTofu: %v", changed(c))
	}
}

// A repository seeded without the manifest (.openova/generated.txt) can
// be upgraded; the pull request adds the manifest and removes nothing.
func TestUpgradeWithoutManifest(t *testing.T) {
	files := snapshot(t, example(t, "one-region"), realCatalog(t))
	delete(files, filetree.ManifestPath)
	c, err := Upgrade(files, newer(t, "cert-manager"), "cert-manager", "9.9.9")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Files[filetree.ManifestPath]; !ok || len(c.Delete) != 0 {
		t.Errorf("manifest written: %t, deleted %v", ok, c.Delete)
	}
}
