package http_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/openova-io/openova/internal/generate"
	"github.com/openova-io/openova/internal/instance"
	"github.com/openova-io/openova/internal/wizard"
)

// stepBodies splits a spec file into the wizard's step bodies, as a person
// filling the forms would send them.
// fillSteps saves every step of bootstrap id from bodies (stepBodies) and
// the typed credentials, as a person completing the wizard does.
func (c *client) fillSteps(id string, bodies map[string]map[string]any) {
	c.h.t.Helper()
	for _, st := range wizard.Steps {
		if len(st.Fields) > 0 {
			if code, data := c.do("PUT", "/api/v1/bootstraps/"+id+"/steps/"+st.Name, bodies[st.Name]); code != 200 {
				c.h.t.Fatalf("step %s = %d %s", st.Name, code, data)
			}
		}
	}
	if code, data := c.do("PUT", "/api/v1/bootstraps/"+id+"/credentials", typed); code != 200 {
		c.h.t.Fatalf("credentials = %d %s", code, data)
	}
}

func stepBodies(t *testing.T, path string) (map[string]map[string]any, *instance.Instance) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	in, err := instance.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(in.Spec)
	var spec map[string]any
	json.Unmarshal(js, &spec)
	out := map[string]map[string]any{}
	for _, st := range wizard.Steps {
		if len(st.Fields) == 0 {
			continue
		}
		out[st.Name] = map[string]any{}
		for _, f := range st.Fields {
			if v, ok := spec[f]; ok {
				out[st.Name][f] = v
			}
		}
	}
	return out, in
}

// typed are the credentials an operator types; none may ever come back.
var typed = map[string]string{
	"hcloud-token":         strings.Repeat("hZ9", 21) + "q",
	"dns-token":            "cf-token-LEAKCHECK-0123456789",
	"s3-access-key-id":     "AKIALEAKCHECK0123456",
	"s3-secret-access-key": "s3-secret-LEAKCHECK-abcdefghijklmnop",
	"ssh-public-key":       testSSHKey,
	"admin-cidrs":          "198.51.100.0/24, 2001:db8:42::/48",
}

// testSSHKey is an authorized_keys line of a fixed ed25519 key.
var testSSHKey = func() string {
	pub, err := ssh.NewPublicKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize)).Public())
	if err != nil {
		panic(err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))) + " ops@acme"
}()

// generated are the credentials the wizard makes.
var generated = []string{"state-passphrase", "k3s-token"}

// generateAll asks for each generated credential once and returns them.
func (c *client) generateAll(id string) map[string]string {
	c.h.t.Helper()
	out := map[string]string{}
	for _, name := range generated {
		code, data := c.do("POST", "/api/v1/bootstraps/"+id+"/credentials/generate?name="+name, nil)
		gen := decode[struct{ Name, Value string }](c.h.t, data)
		if code != http.StatusCreated || gen.Name != name || len(gen.Value) < 40 {
			c.h.t.Fatalf("generate %s = %d %s", name, code, data)
		}
		out[name] = gen.Value
	}
	return out
}

// TestWizardExportEqualsGenerate walks every step of the API with
// examples/two-region.yaml's choices and checks the exported archive is the tree
// `catalyst generate` renders from the same spec, and holds no credential.
func TestWizardExportEqualsGenerate(t *testing.T) {
	for _, example := range []string{"one-region", "two-region"} {
		t.Run(example, func(t *testing.T) { walkToExport(t, "../../../examples/"+example+".yaml") })
	}
}

func walkToExport(t *testing.T, specPath string) {
	h := newHarness(t)
	c := h.client().mustLogin("admin", adminPassword)
	id := c.newBootstrap()
	bodies, want := stepBodies(t, specPath)
	for _, st := range wizard.Steps {
		if len(st.Fields) == 0 {
			continue
		}
		code, data := c.do("PUT", "/api/v1/bootstraps/"+id+"/steps/"+st.Name, bodies[st.Name])
		if code != http.StatusOK {
			t.Fatalf("step %s = %d %s", st.Name, code, data)
		}
	}
	if code, data := c.do("PUT", "/api/v1/bootstraps/"+id+"/credentials", typed); code != 200 {
		t.Fatalf("credentials = %d %s", code, data)
	}
	gen := c.generateAll(id)
	for _, name := range generated {
		if code, _ := c.do("POST", "/api/v1/bootstraps/"+id+"/credentials/generate?name="+name, nil); code != http.StatusConflict {
			t.Fatalf("second generate of %s = %d, want 409 (shown once)", name, code)
		}
	}
	code, data := c.do("GET", "/api/v1/bootstraps/"+id, nil)
	v := decode[struct {
		Steps []struct {
			Name string
			Done bool
		}
		Credentials []string
	}](t, data)
	for _, s := range v.Steps {
		if s.Done != (s.Name != "review" && s.Name != "export") {
			t.Errorf("step %s done = %v", s.Name, s.Done)
		}
	}
	if len(v.Credentials) != len(typed)+len(generated) {
		t.Errorf("credentials held = %v, want %d names", v.Credentials, len(typed)+len(generated))
	}

	code, data = c.do("GET", "/api/v1/bootstraps/"+id+"/review", nil)
	sum := decode[struct{ Files []string }](t, data)
	if code != 200 || len(sum.Files) == 0 {
		t.Fatalf("review = %d %s", code, data)
	}
	if code, data := c.do("GET", "/api/v1/bootstraps/"+id+"/files/"+sum.Files[0], nil); code != 200 || len(data) == 0 {
		t.Fatalf("browse %s = %d", sum.Files[0], code)
	}

	code, archive := c.do("GET", "/api/v1/bootstraps/"+id+"/export", nil)
	if code != 200 {
		t.Fatalf("export = %d %s", code, archive)
	}
	files, err := wizard.Unarchive(archive, want.Spec.Tenant+"-instance")
	if err != nil {
		t.Fatal(err)
	}
	exported := files[generate.SpecFile]
	got, err := instance.Parse(exported)
	if err != nil {
		t.Fatalf("exported instance.yaml: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("exported spec differs from %s\n got %+v\nwant %+v", specPath, got.Spec, want.Spec)
	}
	tree, err := generate.Generate(exported, embeddedCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != tree.Len() {
		t.Fatalf("export has %d files, catalyst generate %d", len(files), tree.Len())
	}
	for _, p := range tree.Paths() {
		w, _ := tree.Get(p)
		if !bytes.Equal(files[p], w) {
			t.Errorf("%s differs from catalyst generate's", p)
		}
	}
	// The same choices typed in the example file render the same tree,
	// except the files carrying instance.yaml byte for byte (the example
	// has comments): the file itself, the seed bundle that holds it and the
	// cloud-init that delivers that bundle.
	src, _ := os.ReadFile(specPath)
	ref, err := generate.Generate(src, embeddedCatalog(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ref.Paths() {
		w, _ := ref.Get(p)
		carriesSpec := p == generate.SpecFile || strings.HasSuffix(p, "/30-seed.yaml") || strings.HasPrefix(p, "terraform/cloud-init/")
		if !carriesSpec && !bytes.Equal(files[p], w) {
			t.Errorf("%s differs from catalyst generate -f %s", p, specPath)
		}
	}

	secretsOut := append(mapValues(typed), mapValues(gen)...)
	for _, s := range secretsOut {
		if bytes.Contains(archive, []byte(s)) || containsInFiles(files, s) {
			t.Errorf("a credential is in the export")
		}
	}
	db, _ := os.ReadFile(h.dbPath())
	for _, s := range secretsOut {
		if bytes.Contains(db, []byte(s)) {
			t.Errorf("a credential is readable in the database file")
		}
	}

	sealed, err := h.store.Credentials(context.Background(), orgOf(t, h), id)
	if err != nil {
		t.Fatal(err)
	}
	if len(sealed) != len(typed)+len(generated) {
		t.Fatalf("sealed credentials in the store = %d, want %d", len(sealed), len(typed)+len(generated))
	}
	code, data = c.do("POST", "/api/v1/bootstraps/"+id+"/complete", nil)
	if code != 200 || !strings.Contains(string(data), "https://catalyst."+want.Spec.Domain) {
		t.Fatalf("complete = %d %s", code, data)
	}
	db, _ = os.ReadFile(h.dbPath())
	for name, s := range sealed {
		if bytes.Contains(db, s) {
			t.Errorf("sealed %s is still in the database file after completion", name)
		}
	}
	if code, _ := c.do("PUT", "/api/v1/bootstraps/"+id+"/steps/organisation", bodies["organisation"]); code != http.StatusConflict {
		t.Errorf("editing a completed bootstrap = %d, want 409", code)
	}
	// Gen value is in the one generate answer, and nowhere else.
	all := h.bodies.String()
	for name, v := range gen {
		if strings.Count(all, v) != 1 {
			t.Errorf("the generated %s appears %d times in API answers, want exactly once", name, strings.Count(all, v))
		}
	}
	for _, s := range typed {
		if strings.Contains(all, s) {
			t.Errorf("a typed credential came back in an API answer")
		}
	}
}

func orgOf(t *testing.T, h *harness) string {
	o, err := h.store.OrgByName(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	return o.ID
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

func containsInFiles(files map[string][]byte, s string) bool {
	for _, b := range files {
		if bytes.Contains(b, []byte(s)) {
			return true
		}
	}
	return false
}
