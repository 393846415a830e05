// Package blueprintsync mirrors the blueprint catalog into a customer's
// Gitea so that an air-gapped platform installs from it (OPENOVA.md §3):
// one repository per component, holding its platform/<name>/ directory at
// the root and tagged v<version> per blueprint version, and one
// repository per product (product-<name>). The plan is pure; Apply
// carries it out through internal/forge and is idempotent.
package blueprintsync

import (
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"

	"github.com/openova-io/openova/internal/catalog"
)

// DefaultOrg is the Gitea organisation the generated instance's Flux
// GitRepositories read blueprints from (internal/generate/flux
// BlueprintGitOrg; a test keeps the two equal).
const DefaultOrg = "openova"

// ProductPrefix names a product's repository: product-<name>.
const ProductPrefix = "product-"

// Kind of a mirrored repository.
type Kind string

const (
	KindBlueprint Kind = "blueprint"
	KindProduct   Kind = "product"
)

// Repo is one repository of the plan.
type Repo struct {
	Name    string            // repository name in the organisation
	Kind    Kind              //
	Source  string            // catalog directory, e.g. platform/cilium
	Version string            // blueprint version; empty for products (product.yaml has none)
	Tag     string            // v<Version>; empty when there is no version
	Files   map[string][]byte // Source's files, paths relative to it
}

// Plan is what a sync makes the organisation hold.
type Plan struct {
	Org   string
	Repos []Repo // blueprints, then products, each sorted by name
}

// Gitea's rule for user, organisation and repository names.
var validName = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// NewPlan reads each blueprint's and product's directory from the
// catalog's file system.
func NewPlan(cat *catalog.Catalog, org string) (Plan, error) {
	if !validName.MatchString(org) || len(org) > 40 {
		return Plan{}, fmt.Errorf("--org %q: want at most 40 letters, digits, '-', '_' or '.'", org)
	}
	p := Plan{Org: org}
	seen := map[string]string{}
	add := func(r Repo) error {
		if prev, dup := seen[r.Name]; dup {
			return fmt.Errorf("%s and %s would both be repository %s/%s: rename one", prev, r.Source, org, r.Name)
		}
		if !validName.MatchString(r.Name) || len(r.Name) > 100 {
			return fmt.Errorf("%s: %q is not a valid Gitea repository name", r.Source, r.Name)
		}
		files, err := readDir(cat.FS(), r.Source)
		if err != nil {
			return err
		}
		r.Files = files
		seen[r.Name] = r.Source
		p.Repos = append(p.Repos, r)
		return nil
	}
	for _, b := range cat.Blueprints {
		if b.Spec.Version == "" {
			return Plan{}, fmt.Errorf("%s/%s: spec.version is empty: set the blueprint's version", b.Dir, catalog.BlueprintFile)
		}
		if err := add(Repo{Name: b.Name(), Kind: KindBlueprint, Source: b.Dir, Version: b.Spec.Version, Tag: "v" + b.Spec.Version}); err != nil {
			return Plan{}, err
		}
	}
	for _, pr := range cat.Products {
		if err := add(Repo{Name: ProductPrefix + pr.Name(), Kind: KindProduct, Source: pr.Dir}); err != nil {
			return Plan{}, err
		}
	}
	return p, nil
}

// readDir returns every regular file under dir, relative to it.
func readDir(fsys fs.FS, dir string) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := fs.WalkDir(fsys, dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file (symbolic links are not mirrored): replace it with the file", p)
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		rel, _ := relative(dir, p)
		out[rel] = data
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no files to mirror", dir)
	}
	return out, nil
}

func relative(dir, p string) (string, bool) {
	prefix := path.Clean(dir) + "/"
	if len(p) > len(prefix) && p[:len(prefix)] == prefix {
		return p[len(prefix):], true
	}
	return p, false
}

// Paths lists a repository's file paths, sorted (for printing).
func (r Repo) Paths() []string {
	out := make([]string, 0, len(r.Files))
	for p := range r.Files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
