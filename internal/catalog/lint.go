package catalog

import (
	"errors"
	"io/fs"
	"path"
)

// rule is one lint check over a loaded catalog.
type rule func(c *Catalog) []Problem

// rules are every lint check, in the order the spec lists them; schema
// problems are found by Load, which refuses a catalog that breaks its
// schema (see LintFS).
var rules = []rule{
	lintNames,
	lintReferences,
	lintCycles,
	lintVersions,
	lintLicenses,
	lintMandatorySet,
	lintRemoved,
	lintDataDR,
	lintClaims,
	lintPlaceholders,
	lintDelivery,
	lintMandatoryDependencies,
}

// Lint holds a loaded catalog to the contract of OPENOVA.md §1 and returns
// every problem, sorted by file and field; none means the catalog is fit to
// publish.
func Lint(c *Catalog) []Problem {
	var ps []Problem
	for _, r := range rules {
		ps = append(ps, r(c)...)
	}
	sortProblems(ps)
	return ps
}

// LintFS loads the catalog at fsys and lints it: the problems that stop it
// loading (schema, YAML, strict decoding) or, when it loads, Lint's. The
// error is for a catalog root that cannot be read at all.
func LintFS(fsys fs.FS) ([]Problem, *Catalog, error) {
	c, err := Load(fsys)
	if err != nil {
		var le *LoadError
		if errors.As(err, &le) {
			return le.Problems, nil, nil
		}
		return nil, nil, err
	}
	return Lint(c), c, nil
}

// File is the catalog path of a blueprint's document.
func (b *Blueprint) File() string { return path.Join(b.Dir, BlueprintFile) }

// File is the catalog path of a product's document.
func (p *Product) File() string { return path.Join(p.Dir, ProductFile) }
