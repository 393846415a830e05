package catalog

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// The published JSON Schemas, relative to the catalog root. Editors
// validate blueprint.yaml and product.yaml with them; Load does too.
const (
	BlueprintSchemaFile = "schemas/blueprint.schema.json"
	ProductSchemaFile   = "schemas/product.schema.json"
)

var printer = message.NewPrinter(language.English)

// schemas are the compiled published schemas of one catalog root.
type schemas struct {
	blueprint, product *jsonschema.Schema
}

func compileSchemas(fsys fs.FS) (*schemas, error) {
	c := jsonschema.NewCompiler()
	var out [2]*jsonschema.Schema
	for i, file := range []string{BlueprintSchemaFile, ProductSchemaFile} {
		raw, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("%s: %w (the catalog root must hold the published schemas: point --dir at a checkout of the openova repository)", file, err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%s: not JSON: %w", file, err)
		}
		if err := c.AddResource(file, doc); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		if out[i], err = c.Compile(file); err != nil {
			return nil, fmt.Errorf("%s: not a valid JSON Schema: %w", file, err)
		}
	}
	return &schemas{blueprint: out[0], product: out[1]}, nil
}

// validate checks one document (as JSON) against a schema and returns a
// problem per failed leaf, naming the field.
func validate(sch *jsonschema.Schema, file string, js []byte) []Problem {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return []Problem{{File: file, Message: "not a YAML mapping: " + err.Error(), Fix: "write the document as YAML"}}
	}
	err = sch.Validate(inst)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []Problem{{File: file, Message: err.Error()}}
	}
	fix := "see " + schemaFileFor(sch)
	var ps []Problem
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) > 0 {
			for _, c := range e.Causes {
				walk(c)
			}
			return
		}
		ps = append(ps, leafProblem(file, e, fix)...)
	}
	walk(ve)
	return ps
}

func schemaFileFor(sch *jsonschema.Schema) string {
	if strings.Contains(sch.Location, "product") {
		return ProductSchemaFile
	}
	return BlueprintSchemaFile
}

func leafProblem(file string, e *jsonschema.ValidationError, fix string) []Problem {
	at := fieldPath(e.InstanceLocation)
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		var ps []Problem
		for _, p := range k.Properties {
			ps = append(ps, Problem{File: file, Field: join(at, p), Message: "unknown field",
				Fix: "remove it, or correct its spelling (" + fix + ")"})
		}
		return ps
	case *kind.Required:
		var ps []Problem
		for _, p := range k.Missing {
			ps = append(ps, Problem{File: file, Field: join(at, p), Message: "required field is missing",
				Fix: "add it (" + fix + ")"})
		}
		return ps
	}
	return []Problem{{File: file, Field: at, Message: e.ErrorKind.LocalizedString(printer), Fix: fix}}
}

// fieldPath turns a JSON pointer's tokens into spec.delivery.helm[0].version.
func fieldPath(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		if _, err := strconv.Atoi(t); err == nil {
			b.WriteString("[" + t + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(t)
	}
	return b.String()
}

func join(parent, child string) string {
	if parent == "" {
		return child
	}
	return parent + "." + child
}
