package instance

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

// The published schema (for editors and CI) must accept what Validate
// accepts and refuse what it refuses where a schema can tell.
func TestPublishedSchema(t *testing.T) {
	raw, err := os.ReadFile("../../schemas/instance.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("instance.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("instance.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	check := func(name string, y []byte) error {
		js, err := yaml.YAMLToJSON(y)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return sch.Validate(v)
	}
	files, _ := filepath.Glob("../../examples/*.yaml")
	for _, f := range files {
		y, _ := os.ReadFile(f)
		if err := check(f, y); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if err := check("base", []byte(baseSpec)); err != nil {
		t.Error(err)
	}
	full := baseSpec + `  overrides: {valkey: {valkey: {replica: {replicas: 2}}}}
  supplyChain: {imageVerification: enforce}
  failover: {witness: {url: https://witness.example.net}}
`
	if err := check("with overrides", []byte(full)); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{
		strings.Replace(baseSpec, "tenant: acme", "tenant: Acme", 1),
		strings.Replace(baseSpec, "location: hel1", "location: fra1", 1),
		strings.Replace(baseSpec, "  domain:", "  domian:", 1),
		baseSpec + "  supplyChain: {imageVerification: Enforce}\n",
		baseSpec + "  overrides: {valkey: {valkey: []}}\n",
		baseSpec + "  failover: {witness: {url: http://witness.example.com}}\n",
	} {
		if err := check("bad", []byte(bad)); err == nil {
			t.Errorf("schema accepts an invalid spec:\n%s", bad)
		}
	}
}
