package catalog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path"
	"sort"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

// File names inside a catalog root.
const (
	PlatformDir   = "platform"
	ProductsDir   = "products"
	BlueprintFile = "blueprint.yaml"
	ProductFile   = "product.yaml"
)

// Catalog is a loaded set of blueprints and products, sorted by name.
type Catalog struct {
	Blueprints []*Blueprint
	Products   []*Product

	fsys       fs.FS
	blueprints map[string]*Blueprint
	products   map[string]*Product
}

// LoadDir loads the catalog of a checkout (the directory holding
// platform/, products/ and schemas/).
func LoadDir(dir string) (*Catalog, error) {
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return nil, fmt.Errorf("--dir %s: not a directory: point it at a checkout of the openova repository", dir)
	}
	return Load(os.DirFS(dir))
}

// Load reads every platform/<name>/blueprint.yaml and
// products/<name>/product.yaml of fsys, validates each against the
// published JSON Schemas and decodes it strictly. Any problem fails the
// load with a *LoadError listing them all: a half-read catalog is not a
// contract anyone can install from.
func Load(fsys fs.FS) (*Catalog, error) {
	sch, err := compileSchemas(fsys)
	if err != nil {
		return nil, err
	}
	c := &Catalog{fsys: fsys, blueprints: map[string]*Blueprint{}, products: map[string]*Product{}}
	var problems []Problem
	for _, d := range []struct {
		dir, file string
		decode    func(file string, js []byte) []Problem
	}{
		{PlatformDir, BlueprintFile, func(file string, js []byte) []Problem {
			b := &Blueprint{Dir: path.Dir(file)}
			ps := decodeDoc(sch.blueprint, file, js, b)
			if ps == nil {
				c.Blueprints = append(c.Blueprints, b)
			}
			return ps
		}},
		{ProductsDir, ProductFile, func(file string, js []byte) []Problem {
			p := &Product{Dir: path.Dir(file)}
			ps := decodeDoc(sch.product, file, js, p)
			if ps == nil {
				c.Products = append(c.Products, p)
			}
			return ps
		}},
	} {
		entries, err := fs.ReadDir(fsys, d.dir)
		if err != nil {
			if d.dir == PlatformDir {
				return nil, fmt.Errorf("%s: %w (the catalog root must hold platform/ and products/)", d.dir, err)
			}
			continue
		}
		for _, e := range entries {
			if !e.IsDir() {
				continue
			}
			file := path.Join(d.dir, e.Name(), d.file)
			raw, err := fs.ReadFile(fsys, file)
			if err != nil {
				problems = append(problems, Problem{File: file, Message: "missing", Fix: "add " + d.file + " or remove the directory"})
				continue
			}
			js, err := yaml.YAMLToJSON(raw)
			if err != nil {
				problems = append(problems, Problem{File: file, Message: "not valid YAML: " + err.Error(), Fix: "correct the YAML syntax"})
				continue
			}
			problems = append(problems, d.decode(file, js)...)
		}
	}
	if len(problems) > 0 {
		sortProblems(problems)
		return nil, &LoadError{Problems: problems}
	}
	c.index()
	return c, nil
}

// decodeDoc validates js against sch, then decodes it strictly into v; the
// schema names the field of any problem, the strict decoder is the second
// guard that the Go types and the schema agree.
func decodeDoc(sch *jsonschema.Schema, file string, js []byte, v any) []Problem {
	if ps := validate(sch, file, js); len(ps) > 0 {
		return ps
	}
	if err := decodeStrict(js, v); err != nil {
		return []Problem{{File: file, Message: err.Error(), Fix: "the Go types and the published schema disagree: report this to the catalog maintainers"}}
	}
	return nil
}

// decodeStrict decodes JSON into v, refusing unknown fields and trailing
// data.
func decodeStrict(js []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the document")
	}
	return nil
}

func (c *Catalog) index() {
	sort.SliceStable(c.Blueprints, func(i, j int) bool { return c.Blueprints[i].Name() < c.Blueprints[j].Name() })
	sort.SliceStable(c.Products, func(i, j int) bool { return c.Products[i].Name() < c.Products[j].Name() })
	for _, b := range c.Blueprints {
		if _, dup := c.blueprints[b.Name()]; !dup {
			c.blueprints[b.Name()] = b
		}
	}
	for _, p := range c.Products {
		if _, dup := c.products[p.Name()]; !dup {
			c.products[p.Name()] = p
		}
	}
}

// FS is the catalog root the catalog was loaded from.
func (c *Catalog) FS() fs.FS { return c.fsys }

// Blueprint returns the component of that name.
func (c *Catalog) Blueprint(name string) (*Blueprint, bool) {
	b, ok := c.blueprints[name]
	return b, ok
}

// Product returns the product of that name.
func (c *Catalog) Product(name string) (*Product, bool) {
	p, ok := c.products[name]
	return p, ok
}

// Mandatory returns the mandatory components, sorted by name.
func (c *Catalog) Mandatory() []*Blueprint {
	var out []*Blueprint
	for _, b := range c.Blueprints {
		if b.Spec.Tier == TierMandatory {
			out = append(out, b)
		}
	}
	return out
}
