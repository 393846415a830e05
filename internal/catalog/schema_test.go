package catalog

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// The published schema and the Go types are one contract: every struct's
// JSON fields are exactly the schema's properties, non-omitempty fields are
// exactly the required ones, and every nested object is closed
// (additionalProperties: false).
func TestSchemaMatchesGoTypes(t *testing.T) {
	for _, tc := range []struct {
		file string
		typ  reflect.Type
	}{
		{"../../" + BlueprintSchemaFile, reflect.TypeOf(Blueprint{})},
		{"../../" + ProductSchemaFile, reflect.TypeOf(Product{})},
	} {
		raw, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		var schema map[string]any
		if err := json.Unmarshal(raw, &schema); err != nil {
			t.Fatal(err)
		}
		compareType(t, schema, schema, tc.typ, tc.typ.Name(), map[reflect.Type]bool{})
	}
}

func resolveRef(root, s map[string]any) map[string]any {
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		s = root["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
	}
}

func compareType(t *testing.T, root, s map[string]any, typ reflect.Type, at string, seen map[reflect.Type]bool) {
	t.Helper()
	s = resolveRef(root, s)
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	switch typ.Kind() {
	case reflect.Slice:
		items, ok := s["items"].(map[string]any)
		if !ok {
			t.Errorf("%s: Go has a list, the schema no items", at)
			return
		}
		compareType(t, root, items, typ.Elem(), at+"[]", seen)
		return
	case reflect.Struct:
		if seen[typ] { // recursive types (Tool.Extra) are checked once
			return
		}
		seen[typ] = true
	default:
		return
	}
	if s["additionalProperties"] != false {
		t.Errorf("%s: schema object is not closed (additionalProperties: false)", at)
	}
	props, _ := s["properties"].(map[string]any)
	var required []string
	for _, r := range asList(s["required"]) {
		required = append(required, r.(string))
	}
	var goFields, goRequired []string
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" || tag == "" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		goFields = append(goFields, name)
		if !strings.Contains(opts, "omitempty") {
			goRequired = append(goRequired, name)
		}
		sub, ok := props[name].(map[string]any)
		if !ok {
			continue
		}
		compareType(t, root, sub, f.Type, at+"."+name, seen)
	}
	var schemaFields []string
	for k := range props {
		schemaFields = append(schemaFields, k)
	}
	if !sameSet(goFields, schemaFields) {
		t.Errorf("%s: Go fields %v, schema properties %v", at, sorted(goFields), sorted(schemaFields))
	}
	if !sameSet(goRequired, required) {
		t.Errorf("%s: Go non-omitempty fields %v, schema required %v", at, sorted(goRequired), sorted(required))
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func sameSet(a, b []string) bool { return reflect.DeepEqual(sorted(a), sorted(b)) }

// Every document of testdata/schema is judged the same way by the schema
// and by the strict Go decoder: files under accept/ pass both, files under
// reject/ (unknown fields, wrong types) fail both. Together with the
// fixture catalog (which loads) this ties the two contracts.
func TestSchemaAndStrictDecodingAgree(t *testing.T) {
	sch, err := compileSchemas(os.DirFS("../.."))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("testdata/schema/*/*.yaml")
	if len(files) < 6 {
		t.Fatalf("expected schema fixtures, found %d", len(files))
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		js, err := yaml.YAMLToJSON(raw)
		if err != nil {
			t.Fatal(err)
		}
		var schemaOK, decodeOK bool
		if strings.Contains(filepath.Base(f), "product") {
			schemaOK = validate(sch.product, f, js) == nil
			decodeOK = decodeStrict(js, &Product{}) == nil
		} else {
			schemaOK = validate(sch.blueprint, f, js) == nil
			decodeOK = decodeStrict(js, &Blueprint{}) == nil
		}
		wantOK := strings.Contains(f, "/accept/")
		if schemaOK != wantOK || decodeOK != wantOK {
			t.Errorf("%s: schema accepts=%v, strict decode accepts=%v, want both %v", f, schemaOK, decodeOK, wantOK)
		}
	}
}
