package generate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/cmd/diff"
	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/cmd/validate"
	"github.com/openova-io/openova/internal/iostreams"
	"github.com/spf13/cobra"
)

func exec(t *testing.T, newCmd func(*factory.Factory) *cobra.Command, args ...string) (string, string, error) {
	t.Helper()
	io, _, out, errOut := iostreams.Test()
	cmd := newCmd(&factory.Factory{IOStreams: io})
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

var (
	genC = func(f *factory.Factory) *cobra.Command { return NewCmdGenerate(f, nil) }
	val  = func(f *factory.Factory) *cobra.Command { return validate.NewCmdValidate(f, nil) }
	dif  = func(f *factory.Factory) *cobra.Command { return diff.NewCmdDiff(f, nil) }
	root = "../../.."
)

// One scenario through the three commands: validate, generate, customer
// edits, diff, regenerate.
func TestValidateGenerateDiff(t *testing.T) {
	spec := filepath.Join(root, "examples", "one-region.yaml")
	out, _, err := exec(t, val, "-f", spec, "--catalog", root)
	if err != nil || !strings.Contains(out, "valid (tenant acme, 1 region(s)") {
		t.Fatalf("validate: %q %v", out, err)
	}

	dir := t.TempDir()
	out, _, err = exec(t, genC, "-f", spec, "--catalog", root, "-o", dir)
	if err != nil || !strings.Contains(out, "+ terraform/versions.tf") {
		t.Fatalf("generate: %q %v", out, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "terraform", "custom.tf"), []byte("# mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	edited := filepath.Join(t.TempDir(), "instance.yaml")
	b, _ := os.ReadFile(spec)
	if err := os.WriteFile(edited, []byte(strings.Replace(string(b), "count: 3", "count: 4", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	// instance.yaml, the seed bundle carrying it, the cloud-init delivering
	// the bundle, and the region's servers.
	out, summary, err := exec(t, dif, "-f", edited, "--catalog", root, dir)
	if err != nil || !strings.Contains(out, "+  count              = 4") || !strings.Contains(summary, "0 to add, 4 to modify, 0 to remove") {
		t.Fatalf("diff: %q %q %v", out, summary, err)
	}
	out, _, err = exec(t, genC, "-f", edited, "--catalog", root, "-o", dir)
	if err != nil || !strings.Contains(out, "~ terraform/region_fsn.tf") {
		t.Fatalf("regenerate: %q %v", out, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "terraform", "custom.tf")); err != nil {
		t.Fatal("the customer's file must survive regeneration")
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	spec := filepath.Join(t.TempDir(), "instance.yaml")
	b, _ := os.ReadFile(filepath.Join(root, "examples", "one-region.yaml"))
	bad := strings.NewReplacer("tenant: acme", "tenant: ACME", "provider: cloudflare\n", "provider: route53\n").Replace(string(b))
	if err := os.WriteFile(spec, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := exec(t, val, "-f", spec, "--catalog", root)
	if err == nil || !strings.Contains(err.Error(), "spec.tenant") || !strings.Contains(err.Error(), "spec.dns.provider") {
		t.Fatalf("got %v", err)
	}
}
