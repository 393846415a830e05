package regen

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/generate"
	"github.com/openova-io/openova/internal/generate/flux"
	"github.com/openova-io/openova/internal/instance"
)

// Change is a pull request's content: files to write (added or modified,
// the manifest included when it changes) and generated files to remove.
type Change struct {
	Files  map[string][]byte
	Delete []string
	// Stat lists the changed paths (the manifest aside) for the PR body.
	Stat filetree.Changes
}

// Empty reports whether the edit changes nothing.
func (c Change) Empty() bool { return len(c.Files) == 0 && len(c.Delete) == 0 }

// Upgrade moves one installed component to the catalog's version of its
// blueprint (toVersion, which must be that version). Only that component's
// directories, its lock entry and what it alone renders (e.g. cilium's
// OpenTofu, flux's bootstrap bundle) change; every other component keeps
// its locked versions and its files as they are in the repository. An
// upgrade already applied returns an empty Change.
func Upgrade(files map[string][]byte, cat *catalog.Catalog, component, toVersion string) (Change, error) {
	lock, err := ParseLock(files)
	if err != nil {
		return Change{}, err
	}
	lc, ok := lock.Components[component]
	if !ok {
		return Change{}, fmt.Errorf("upgrade %s: not installed (no entry in %s); enable it instead", component, flux.LockFile)
	}
	b, ok := cat.Blueprint(component)
	if !ok {
		return Change{}, fmt.Errorf("upgrade %s: the catalog has no such blueprint", component)
	}
	if toVersion != b.Spec.Version {
		return Change{}, fmt.Errorf("upgrade %s to %s: the catalog offers %s; load a catalog carrying %s (--catalog-dir)",
			component, toVersion, b.Spec.Version, toVersion)
	}
	if lc.Blueprint == b.Spec.Version {
		return Change{}, nil
	}
	tree, err := render(files, cat, lock, files[generate.SpecFile], component)
	if err != nil {
		return Change{}, err
	}
	eff, err := onlyComponent(tree, files, cat, component)
	if err != nil {
		return Change{}, err
	}
	return diff(eff, files)
}

// EnablePack adds products and/or à la carte components (by catalog name)
// to instance.yaml; the catalog pulls in what they depend on. Names already
// enabled, and components already installed, are skipped; unknown names fail instance validation naming the
// field.
func EnablePack(files map[string][]byte, cat *catalog.Catalog, names ...string) (Change, error) {
	if len(names) == 0 {
		return Change{}, fmt.Errorf("enable: name at least one product or component")
	}
	doc, err := parseSpec(files[generate.SpecFile])
	if err != nil {
		return Change{}, err
	}
	products, err := doc.list("products")
	if err != nil {
		return Change{}, err
	}
	components, err := doc.list("components")
	if err != nil {
		return Change{}, err
	}
	lock, err := ParseLock(files)
	if err != nil {
		return Change{}, err
	}
	edited := false
	for _, n := range names {
		seq := components
		if _, isProduct := cat.Product(n); isProduct {
			seq = products
		} else if _, installed := lock.Components[n]; installed {
			continue // mandatory, or brought by a product already
		}
		if slices.Contains(scalars(seq), n) {
			continue
		}
		if err := appendValue(seq, n); err != nil {
			return Change{}, err
		}
		edited = true
	}
	return regenerate(files, cat, doc, edited)
}

// AddRegion appends a region (a cluster) to instance.yaml; its OpenTofu,
// bootstrap bundle and Flux tree are generated, and the existing regions
// gain the two-region wiring. Adding a region that is already there,
// identical, changes nothing.
func AddRegion(files map[string][]byte, cat *catalog.Catalog, r instance.Region) (Change, error) {
	doc, err := parseSpec(files[generate.SpecFile])
	if err != nil {
		return Change{}, err
	}
	regions, err := doc.list("regions")
	if err != nil {
		return Change{}, err
	}
	for i, n := range regions.Content {
		var have instance.Region
		if err := decode(n, &have); err != nil || have.Name != r.Name {
			continue
		}
		if !sameRegion(have, r) {
			return Change{}, fmt.Errorf("spec.regions[%d]: region %s already exists with other settings; edit instance.yaml instead", i, r.Name)
		}
		return regenerate(files, cat, doc, false)
	}
	if err := appendValue(regions, r); err != nil {
		return Change{}, err
	}
	return regenerate(files, cat, doc, true)
}

func sameRegion(a, b instance.Region) bool {
	ja, _ := yaml.Marshal(a)
	jb, _ := yaml.Marshal(b)
	return reflect.DeepEqual(ja, jb)
}

// regenerate renders the (possibly edited) spec with the lock honoured.
func regenerate(files map[string][]byte, cat *catalog.Catalog, doc *specDoc, edited bool) (Change, error) {
	spec := files[generate.SpecFile]
	if edited {
		var err error
		if spec, err = doc.bytes(); err != nil {
			return Change{}, err
		}
	}
	lock, err := ParseLock(files)
	if err != nil {
		return Change{}, err
	}
	tree, err := render(files, cat, lock, spec)
	if err != nil {
		return Change{}, err
	}
	return diff(tree, files)
}

func render(files map[string][]byte, cat *catalog.Catalog, lock *Lock, spec []byte, moving ...string) (*filetree.Tree, error) {
	if spec == nil {
		return nil, fmt.Errorf("%s: not in the instance repository", generate.SpecFile)
	}
	m := map[string]bool{}
	for _, n := range moving {
		m[n] = true
	}
	pc, err := pinned(cat, lock, m)
	if err != nil {
		return nil, err
	}
	return generate.Generate(spec, pc)
}

// owner is the component whose directory holds p
// (clusters/<region>/<layer>/<component>/...), or "".
func owner(p string, cat *catalog.Catalog) string {
	parts := strings.SplitN(p, "/", 5)
	if len(parts) < 5 || parts[0] != flux.ClustersDir {
		return ""
	}
	if _, ok := cat.Blueprint(parts[3]); ok {
		return parts[3]
	}
	return ""
}

// onlyComponent is tree with every other component's files as the
// repository has them and the lock changed in component's entry only.
func onlyComponent(tree *filetree.Tree, files map[string][]byte, cat *catalog.Catalog, component string) (*filetree.Tree, error) {
	prev, err := filetree.ParseManifest(files[filetree.ManifestPath])
	if err != nil {
		return nil, err
	}
	out := filetree.New()
	keepOld := func(p string) error {
		if old, ok := files[p]; ok {
			return out.Add(p, old)
		}
		return nil
	}
	for _, p := range tree.Paths() {
		data, _ := tree.Get(p)
		var err error
		switch o := owner(p, cat); {
		case p == flux.LockFile:
			data, err = spliceLock(files[flux.LockFile], data, component)
			if err == nil {
				err = out.Add(p, data)
			}
		case o != "" && o != component:
			err = keepOld(p)
		default:
			err = out.Add(p, data)
		}
		if err != nil {
			return nil, err
		}
	}
	for _, p := range prev {
		if _, generated := tree.Get(p); generated {
			continue
		}
		if o := owner(p, cat); o != "" && o != component {
			if err := keepOld(p); err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// diff is what writing tree into the repository does, as a Change.
func diff(tree *filetree.Tree, files map[string][]byte) (Change, error) {
	c, err := filetree.DiffFiles(tree, files)
	if err != nil {
		return Change{}, err
	}
	out := Change{Stat: c, Delete: c.Removed, Files: map[string][]byte{}}
	for _, p := range append(append([]string{}, c.Added...), c.Modified...) {
		out.Files[p], _ = tree.Get(p)
	}
	if !c.Empty() && filetree.ManifestChanged(tree, files) {
		out.Files[filetree.ManifestPath] = filetree.Manifest(tree)
	}
	if len(out.Files) == 0 {
		out.Files = nil
	}
	return out, nil
}
