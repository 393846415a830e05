package portalweb

import (
	"net/url"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

const schemaYAML = `
type: object
required: [size, replicas]
properties:
  size:
    description: Compute per instance.
    enum: [S, M, L]
    default: M
  version:
    enum: ["16", "17"]
    default: "17"
  shards:
    enum: [1, 3]
  replicas:
    type: integer
    minimum: 1
    maximum: 5
    default: 3
  ratio:
    type: number
  deletionProtection:
    type: boolean
    default: true
  storage:
    type: string
    pattern: "^[1-9][0-9]*Gi$"
    maxLength: 8
    default: 20Gi
`

func schema(t *testing.T) map[string]any {
	t.Helper()
	var s map[string]any
	if err := yaml.Unmarshal([]byte(schemaYAML), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFieldsFromSchema(t *testing.T) {
	fs := Fields(schema(t), nil)
	var names []string
	byName := map[string]Field{}
	for _, f := range fs {
		names = append(names, f.Name)
		byName[f.Name] = f
	}
	// Required first, then by name.
	if want := []string{"replicas", "size", "deletionProtection", "ratio", "shards", "storage", "version"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("order = %v, want %v", names, want)
	}
	size := byName["size"]
	if size.Control != "select" || !size.Required || size.Help != "Compute per instance." || size.Label != "Size" ||
		!reflect.DeepEqual(size.Options, []Option{{"S", false}, {"M", true}, {"L", false}}) {
		t.Fatalf("size = %+v", size)
	}
	if r := byName["replicas"]; r.Control != "number" || r.Step != "1" || r.Min != "1" || r.Max != "5" || r.Value != "3" || !r.Required {
		t.Fatalf("replicas = %+v", r)
	}
	if r := byName["ratio"]; r.Control != "number" || r.Step != "any" || r.Value != "" {
		t.Fatalf("ratio = %+v", r)
	}
	if d := byName["deletionProtection"]; d.Control != "checkbox" || !d.Checked || d.Label != "Deletion protection" {
		t.Fatalf("deletionProtection = %+v", d)
	}
	if s := byName["storage"]; s.Control != "text" || s.Pattern != "^[1-9][0-9]*Gi$" || s.MaxLength != "8" || s.Value != "20Gi" {
		t.Fatalf("storage = %+v", s)
	}
	if s := byName["shards"]; !reflect.DeepEqual(s.Options, []Option{{"1", false}, {"3", false}}) {
		t.Fatalf("shards = %+v", s)
	}
}

func TestFieldsKeepSubmittedValues(t *testing.T) {
	sent := url.Values{"size": {"L"}, "storage": {"20GB"}, "replicas": {"seven"}}
	byName := map[string]Field{}
	for _, f := range Fields(schema(t), sent) {
		byName[f.Name] = f
	}
	if byName["storage"].Value != "20GB" || byName["replicas"].Value != "seven" || !byName["size"].Options[2].Selected {
		t.Fatalf("submitted values lost: %+v", byName)
	}
	if byName["deletionProtection"].Checked {
		t.Fatal("an unticked checkbox came back ticked")
	}
}

func TestValuesConvertToSchemaTypes(t *testing.T) {
	got, errs := Values(schema(t), url.Values{
		"size": {"L"}, "version": {"16"}, "shards": {"3"}, "replicas": {" 2 "}, "ratio": {"0.5"},
		"deletionProtection": {"on"}, "storage": {""},
	})
	want := map[string]any{"size": "L", "version": "16", "shards": float64(3), "replicas": int64(2), "ratio": 0.5, "deletionProtection": true}
	if len(errs) != 0 || !reflect.DeepEqual(got, want) {
		t.Fatalf("Values = %#v, %v\nwant %#v", got, errs, want)
	}
	got, _ = Values(schema(t), url.Values{})
	if got["deletionProtection"] != false {
		t.Fatalf("an absent checkbox is false, got %#v", got)
	}
}

func TestValuesReportWhatDoesNotConvert(t *testing.T) {
	got, errs := Values(schema(t), url.Values{"replicas": {"seven"}, "ratio": {"NaN"}, "size": {"XXL"}})
	if len(errs) != 2 || errs[0].Field == errs[1].Field {
		t.Fatalf("errs = %v", errs)
	}
	for _, e := range errs {
		if e.Field != "values.replicas" && e.Field != "values.ratio" {
			t.Fatalf("unexpected error %v", e)
		}
	}
	if _, ok := got["replicas"]; ok {
		t.Fatal("an unconverted value was passed on")
	}
	if got["size"] != "XXL" {
		t.Fatal("a choice outside the enum is passed on for validation to name")
	}
}

func TestPlaceErrorsBesideFields(t *testing.T) {
	fs := Fields(schema(t), nil)
	errs := field.ErrorList{
		field.Invalid(field.NewPath("values", "storage"), "20GB", "must look like 20Gi"),
		field.Required(field.NewPath("values", "size"), "pick a size"),
		field.Invalid(field.NewPath("namespace"), "b", "not one of your teams' namespaces"),
		field.Forbidden(field.NewPath("values"), "unknown field colour"),
	}
	own, general := Place(fs, errs)
	for _, f := range fs {
		switch f.Name {
		case "storage":
			if f.Error != "must look like 20Gi" {
				t.Fatalf("storage error = %q", f.Error)
			}
		case "size":
			if f.Error == "" {
				t.Fatal("size error not placed")
			}
		default:
			if f.Error != "" {
				t.Fatalf("%s got %q", f.Name, f.Error)
			}
		}
	}
	if own["namespace"] != "not one of your teams' namespaces" || len(general) != 1 {
		t.Fatalf("own = %v, general = %v", own, general)
	}
}

func TestLabel(t *testing.T) {
	for in, want := range map[string]string{"deletionProtection": "Deletion protection", "ha": "HA", "network_profile": "Network profile", "size": "Size"} {
		if got := label(in); got != want {
			t.Errorf("label(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAdvancedLane(t *testing.T) {
	if m, err := Advanced("  ", "Cluster .spec"); m != nil || err != nil {
		t.Fatalf("empty = %v, %v", m, err)
	}
	m, err := Advanced("postgresql:\n  parameters:\n    max_connections: \"200\"\n", "Cluster .spec")
	if err != nil || m["postgresql"].(map[string]any)["parameters"].(map[string]any)["max_connections"] != "200" {
		t.Fatalf("mapping = %v, %v", m, err)
	}
	for _, bad := range []string{"- a\n- b\n", "just text", "a: [1"} {
		if _, err := Advanced(bad, "Cluster .spec"); err == nil || err.Field != "advanced" || !strings.Contains(err.Detail, "Cluster .spec") {
			t.Errorf("Advanced(%q) = %v, want an error naming the target", bad, err)
		}
	}
	own, _ := Place(nil, field.ErrorList{field.Invalid(field.NewPath("advanced", "spec"), "", "raw field refused")})
	if own["advanced"] != "raw field refused" {
		t.Fatalf("advanced error placed at %v", own)
	}
}
