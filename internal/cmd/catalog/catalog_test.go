package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/openova-io/openova/internal/cmd/cmdutil"
	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/iostreams"
)

// fixtureDir is a checkout-shaped copy of the catalog package's fixture
// catalog with this repository's published schemas.
func fixtureDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	copyDir(t, "../../catalog/testdata/catalog", dir)
	copyDir(t, "../../../schemas", filepath.Join(dir, "schemas"))
	return dir
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// run executes `catalyst catalog <args>` with test streams.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := &factory.Factory{IOStreams: ios}
	cmd := NewCmdCatalog(f)
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

func TestListText(t *testing.T) {
	out, _, err := run(t, "list", "--dir", fixtureDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"security\n", "  * cert-manager", "data\n",
		"AGPL: network copyleft", "always installed: pulled in by gitea",
		"31 components, 25 mandatory (*)", "products\n", "fingate", "cnpg, keycloak, valkey, ext-authz (ours, planned)",
		"all components (mandatory always, à la carte as chosen)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	// Only AGPL components are flagged.
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "network copyleft") && !strings.Contains(line, "AGPL-3.0") && !strings.Contains(line, "obliges") {
			t.Errorf("flagged without AGPL: %q", line)
		}
	}
	if n := strings.Count(out, "AGPL: network copyleft"); n != 2 {
		t.Errorf("want 2 AGPL flags (grafana, minio), got %d", n)
	}
}

func TestListJSON(t *testing.T) {
	out, _, err := run(t, "list", "--json", "--dir", fixtureDir(t))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Components []ComponentJSON `json:"components"`
		Products   []ProductJSON   `json:"products"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(got.Components) != 31 || len(got.Products) != 3 {
		t.Fatalf("got %d components, %d products", len(got.Components), len(got.Products))
	}
	byName := map[string]ComponentJSON{}
	for _, c := range got.Components {
		byName[c.Name] = c
	}
	if m := byName["minio"]; !m.Mandatory || !m.NetworkCopyleft || m.License != "AGPL-3.0-only" {
		t.Errorf("minio: %+v", m)
	}
	if c := byName["cnpg"]; c.Mandatory || c.Claim != "PostgresClaim" || strings.Join(c.PulledInBy, ",") != "gitea" {
		t.Errorf("cnpg: %+v", c)
	}
	if b := byName["bge"]; len(b.Delivery) != 1 || !strings.HasPrefix(b.Delivery[0], "model BAAI/bge-m3@") {
		t.Errorf("bge delivery: %v", b.Delivery)
	}
}

func TestShowComponentWithClosure(t *testing.T) {
	out, _, err := run(t, "show", "bge", "--closure", "--dir", fixtureDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"name:        bge\n", "tier:        alacarte\n", "depends on:  kserve\n", "closure:     knative, kserve\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
	out, _, err = run(t, "show", "grafana", "--dir", fixtureDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "AGPL-3.0-only — network copyleft") || !strings.Contains(out, "mandatory (always installed)") {
		t.Errorf("grafana:\n%s", out)
	}
}

func TestShowProductJSON(t *testing.T) {
	out, _, err := run(t, "show", "fingate", "--closure", "--json", "--dir", fixtureDir(t))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		ProductJSON
		Closure []string `json:"closure"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if got.Name != "fingate" || len(got.Services) != 1 || strings.Join(got.Components, ",") != "keycloak,valkey,cnpg" {
		t.Errorf("fingate: %+v", got)
	}
	if len(got.Closure) != 0 {
		t.Errorf("fingate's members need nothing beyond themselves and the mandatory set, got closure %v", got.Closure)
	}
}

func TestShowUnknown(t *testing.T) {
	_, _, err := run(t, "show", "mongodb", "--dir", fixtureDir(t))
	if err == nil || !strings.Contains(err.Error(), `"mongodb" is neither a component nor a product`) {
		t.Fatalf("got %v", err)
	}
}

func TestGraphFormats(t *testing.T) {
	dir := fixtureDir(t)
	out, _, err := run(t, "graph", "--dir", dir)
	if err != nil || !strings.HasPrefix(out, "graph LR\n") || !strings.Contains(out, "c_bge --> c_kserve") {
		t.Fatalf("mermaid: %v\n%s", err, out)
	}
	out, _, err = run(t, "graph", "--format", "dot", "--dir", dir)
	if err != nil || !strings.HasPrefix(out, "digraph catalog {") || !strings.Contains(out, `"bge" -> "kserve";`) {
		t.Fatalf("dot: %v\n%s", err, out)
	}
	if _, _, err := run(t, "graph", "--format", "png", "--dir", dir); err == nil {
		t.Fatal("png accepted")
	}
}

func TestLintClean(t *testing.T) {
	out, _, err := run(t, "lint", "--dir", fixtureDir(t))
	if err != nil {
		t.Fatalf("clean fixture: %v\n%s", err, out)
	}
	if out != "catalog OK: 31 components, 3 products\n" {
		t.Fatalf("got %q", out)
	}
}

func TestLintProblemsExitFailed(t *testing.T) {
	dir := fixtureDir(t)
	file := filepath.Join(dir, "platform", "keda", "blueprint.yaml")
	data, _ := os.ReadFile(file)
	data = bytes.Replace(data, []byte("license: Apache-2.0"), []byte("license: BUSL-1.1"), 1)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, "lint", "--dir", dir)
	var failed *cmdutil.FailedError
	if !errors.As(err, &failed) || failed.Msg != "catalog lint: 1 problem" {
		t.Fatalf("want the failed error (exit 3), got %v", err)
	}
	want := "platform/keda/blueprint.yaml: spec.upstream.license: BUSL-1.1 is source-available, not open source (fix: "
	if !strings.HasPrefix(out, want) {
		t.Fatalf("got %q, want prefix %q", out, want)
	}
	out, _, _ = run(t, "lint", "--json", "--dir", dir)
	var ps []map[string]string
	if err := json.Unmarshal([]byte(out), &ps); err != nil || len(ps) != 1 || ps[0]["field"] != "spec.upstream.license" {
		t.Fatalf("json: %v %s", err, out)
	}
}

func TestLintSchemaProblemsExitFailed(t *testing.T) {
	dir := fixtureDir(t)
	file := filepath.Join(dir, "products", "cortex", "product.yaml")
	data, _ := os.ReadFile(file)
	if err := os.WriteFile(file, append(data, []byte("extra: 1\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, "lint", "--dir", dir)
	var failed *cmdutil.FailedError
	if !errors.As(err, &failed) || !strings.Contains(out, "products/cortex/product.yaml: extra: unknown field") {
		t.Fatalf("got %v\n%s", err, out)
	}
}

func TestBadDir(t *testing.T) {
	for _, verb := range []string{"list", "lint"} {
		if _, _, err := run(t, verb, "--dir", filepath.Join(t.TempDir(), "nope")); err == nil || !strings.Contains(err.Error(), "--dir") {
			t.Errorf("%s: got %v", verb, err)
		}
	}
}

// The embedded catalog (no --dir) is the real one: 52 components and 9
// products.
func TestEmbeddedCatalog(t *testing.T) {
	out, _, err := run(t, "list", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Components []ComponentJSON `json:"components"`
		Products   []ProductJSON   `json:"products"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Components) != 52 || len(got.Products) != 9 {
		t.Fatalf("embedded catalog: %d components, %d products; want 52 and 9", len(got.Components), len(got.Products))
	}
}

// runF lets tests stop at the options: flags land where they should.
func TestFlagsReachOptions(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := &factory.Factory{IOStreams: ios}
	var got *ShowOptions
	cmd := NewCmdShow(f, func(o *ShowOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"cnpg", "--closure", "--json", "--dir", "/x"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Name != "cnpg" || !got.Closure || !got.JSON || got.Source.Dir != "/x" {
		t.Fatalf("options: %+v", got)
	}
	var _ *cobra.Command = cmd
}
