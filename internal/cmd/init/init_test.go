package init

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/instance"
	"github.com/openova-io/openova/internal/iostreams"
)

func run(t *testing.T, io *iostreams.IOStreams, args ...string) error {
	t.Helper()
	cmd := NewCmdInit(&factory.Factory{IOStreams: io}, nil)
	cmd.SetArgs(args)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	return cmd.Execute()
}

func TestInitFromFlagsWritesAValidCommentedSpec(t *testing.T) {
	out := filepath.Join(t.TempDir(), "instance.yaml")
	io, _, _, _ := iostreams.Test()
	err := run(t, io, "-o", out, "--tenant", "acme", "--domain", "acme.example.com",
		"--location", "fsn1", "--location", "ash", "--archival-endpoint", "https://s3.example.com")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	in, err := instance.Check(data, instance.NewCatalog(nil, nil))
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Spec.Regions) != 2 || in.Spec.Regions[1].Name != "ash" || in.Spec.Archival.Bucket != "acme-archive" || !strings.Contains(string(data), "# mirror:") {
		t.Fatalf("unexpected spec:\n%s", data)
	}
	if err := run(t, io, "-o", out, "--tenant", "x"); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("must refuse to overwrite: %v", err)
	}
}

func TestInitPromptsOnATerminal(t *testing.T) {
	out := filepath.Join(t.TempDir(), "instance.yaml")
	io, in, _, _ := iostreams.Test()
	io.SetTTY(true, true)
	in.WriteString("acme\nacme.example.com\nfsn1\nhttps://s3.example.com\n")
	if err := run(t, io, "-o", out); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	if _, err := instance.Check(data, instance.NewCatalog(nil, nil)); err != nil {
		t.Fatal(err)
	}
}

func TestInitWithoutTerminalNamesMissingFlags(t *testing.T) {
	io, _, _, _ := iostreams.Test()
	err := run(t, io, "-o", filepath.Join(t.TempDir(), "i.yaml"), "--tenant", "acme")
	if err == nil || !strings.Contains(err.Error(), "--archival-endpoint, --domain, --location") {
		t.Fatalf("got %v", err)
	}
}

func TestInitRejectsInvalidAnswers(t *testing.T) {
	io, _, _, _ := iostreams.Test()
	err := run(t, io, "-o", filepath.Join(t.TempDir(), "i.yaml"), "--tenant", "Acme!", "--domain", "acme.example.com",
		"--location", "fra1", "--archival-endpoint", "https://s3.example.com")
	if err == nil || !strings.Contains(err.Error(), "spec.tenant") || !strings.Contains(err.Error(), "spec.regions[0].location") {
		t.Fatalf("got %v", err)
	}
}
