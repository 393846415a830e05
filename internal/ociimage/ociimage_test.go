package ociimage_test

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/openova-io/openova/internal/ociimage"
	"github.com/openova-io/openova/internal/testenv"
)

// witness builds the real cmd/witness, statically, for the test machine.
func witness(t *testing.T) string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "witness")
	cmd := exec.Command("go", "build", "-trimpath", "-o", out, "./cmd/witness")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/witness: %v\n%s", err, b)
	}
	return out
}

func spec(bin string) ociimage.Spec {
	return ociimage.Spec{Name: "witness", Created: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		Binaries:    []ociimage.Binary{{OS: "linux", Arch: runtime.GOARCH, Path: bin}},
		Annotations: map[string]string{"org.opencontainers.image.version": "0.1.0", "org.opencontainers.image.source": "https://github.com/openova-io/openova"},
		CABundle:    []byte("-----BEGIN CERTIFICATE-----\ntest\n-----END CERTIFICATE-----\n")}
}

// The same binary gives the same digest, whenever it is built; the image
// runs the program as the non-root user; the layout round-trips; and the
// program taken out of the layer runs.
func TestWitnessImage(t *testing.T) {
	bin := witness(t)
	first, err := ociimage.Build(spec(bin))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // a wall-clock second later: no timestamp may leak in
	second, err := ociimage.Build(spec(bin))
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := first.Digest()
	d2, _ := second.Digest()
	if d1 != d2 {
		t.Fatalf("two builds of the same binary: %s and %s", d1, d2)
	}

	dir := filepath.Join(t.TempDir(), "witness")
	if err := ociimage.WriteLayout(dir, first); err != nil {
		t.Fatal(err)
	}
	read, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := read.Digest(); d != d1 {
		t.Fatalf("layout holds index %s, built %s", d, d1)
	}
	im, err := read.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Platform == nil || im.Manifests[0].Platform.Architecture != runtime.GOARCH ||
		im.Annotations["org.opencontainers.image.version"] != "0.1.0" {
		t.Fatalf("index manifest: %+v", im)
	}
	img, err := read.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Config.User != "65532:65532" || strings.Join(cf.Config.Entrypoint, " ") != "/usr/local/bin/witness" ||
		cf.OS != "linux" || cf.Config.Labels["org.opencontainers.image.source"] == "" {
		t.Fatalf("config: %+v", cf.Config)
	}

	files := layerFiles(t, img)
	for name, mode := range map[string]int64{"usr/local/bin/witness": 0o755, "etc/passwd": 0o644, "etc/ssl/certs/ca-certificates.crt": 0o644, "tmp/": 0o1777} {
		h, ok := files[name]
		if !ok || h.Mode != mode || h.Uid != 0 || !h.ModTime.Equal(time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("%s in the layer: %+v (present %t), want mode %o owned by root dated at Created", name, h, ok, mode)
		}
	}
	if !strings.Contains(string(files["etc/passwd"].body), "nonroot:x:65532:65532") {
		t.Errorf("passwd: %q", files["etc/passwd"].body)
	}
	prog := filepath.Join(t.TempDir(), "witness-from-image")
	if err := os.WriteFile(prog, files["usr/local/bin/witness"].body, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(prog, "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--listen") {
		t.Fatalf("the program from the image: %v\n%s", err, out)
	}
}

// The catalyst image carries the pinned OpenTofu beside catalyst, on PATH,
// built the way `go run ./hack/images` builds it; both, taken out of the
// layer, run: tofu says the pinned release version (no -dev marker) and
// catalyst offers managed apply. Two builds give one digest.
func TestCatalystImageRunsTofu(t *testing.T) {
	if testing.Short() {
		t.Skip("builds catalyst and OpenTofu")
	}
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cat, tofu := filepath.Join(dir, "catalyst"), filepath.Join(dir, "tofu")
	if err := ociimage.GoBuild(root, ociimage.Programs["catalyst"], runtime.GOARCH, cat); err != nil {
		t.Fatal(err)
	}
	if err := ociimage.BuildTool(root, "tofu", runtime.GOARCH, tofu); err != nil {
		t.Fatal(err)
	}
	s := ociimage.Spec{Name: "catalyst", Created: time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC),
		Binaries: []ociimage.Binary{{OS: "linux", Arch: runtime.GOARCH, Path: cat}},
		Tools:    []ociimage.Tool{{Name: "tofu", Binaries: []ociimage.Binary{{OS: "linux", Arch: runtime.GOARCH, Path: tofu}}}}}
	first, err := ociimage.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	second, err := ociimage.Build(s)
	if err != nil {
		t.Fatal(err)
	}
	d1, _ := first.Digest()
	d2, _ := second.Digest()
	if d1 != d2 {
		t.Fatalf("two builds: %s and %s", d1, d2)
	}
	im, _ := first.IndexManifest()
	img, err := first.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	if !slices.Contains(cf.Config.Env, "PATH=/usr/local/bin:/usr/bin:/bin") {
		t.Fatalf("env %q: tofu must be on PATH", cf.Config.Env)
	}
	files := layerFiles(t, img)
	out := t.TempDir()
	for _, name := range []string{"catalyst", "tofu"} {
		h, ok := files["usr/local/bin/"+name]
		if !ok || h.Mode != 0o755 {
			t.Fatalf("usr/local/bin/%s in the layer: %+v (present %t)", name, h.Header, ok)
		}
		if err := os.WriteFile(filepath.Join(out, name), h.body, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want, err := ociimage.TofuVersion(root)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(filepath.Join(out, "tofu"), "version")
	cmd.Env = []string{"HOME=" + t.TempDir()}
	got, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(got), "OpenTofu "+want+"\n") {
		t.Fatalf("tofu version from the image = %q, %v; want OpenTofu %s", got, err, want)
	}
	help, err := exec.Command(filepath.Join(out, "catalyst"), "bootstrap", "--help").CombinedOutput()
	if err != nil || !strings.Contains(string(help), "--tofu") {
		t.Fatalf("catalyst from the image: %v\n%s", err, help)
	}
	t.Logf("catalyst image for linux/%s: %s; tofu says %q", runtime.GOARCH, d1, strings.SplitN(string(got), "\n", 2)[0])
}

func TestBadSpecNamesTheProblem(t *testing.T) {
	if _, err := ociimage.Build(ociimage.Spec{Name: "a/b"}); err == nil || !strings.Contains(err.Error(), "program name") {
		t.Errorf("name with a slash: %v", err)
	}
	if _, err := ociimage.Build(ociimage.Spec{Name: "witness"}); err == nil || !strings.Contains(err.Error(), "no binary") {
		t.Errorf("no binary: %v", err)
	}
	_, err := ociimage.Build(ociimage.Spec{Name: "witness", Binaries: []ociimage.Binary{{OS: "linux", Arch: "arm64", Path: "/nonexistent"}}})
	if err == nil || !strings.Contains(err.Error(), "linux/arm64") {
		t.Errorf("missing binary: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "witness")
	os.WriteFile(bin, []byte("x"), 0o755)
	one := []ociimage.Binary{{OS: "linux", Arch: "arm64", Path: bin}}
	_, err = ociimage.Build(ociimage.Spec{Name: "witness", Binaries: one, Tools: []ociimage.Tool{{Name: "tofu", Binaries: []ociimage.Binary{{OS: "linux", Arch: "amd64", Path: bin}}}}})
	if err == nil || !strings.Contains(err.Error(), "tool tofu has no binary for linux/arm64") {
		t.Errorf("tool without the image's platform: %v", err)
	}
	_, err = ociimage.Build(ociimage.Spec{Name: "witness", Binaries: one, Tools: []ociimage.Tool{{Name: "witness", Binaries: one}}})
	if err == nil || !strings.Contains(err.Error(), `tool name "witness"`) {
		t.Errorf("tool named like the program: %v", err)
	}
}

type entry struct {
	*tar.Header
	body []byte
}

func layerFiles(t *testing.T, img v1.Image) map[string]entry {
	t.Helper()
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers: %d %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	out := map[string]entry{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = entry{h, b}
	}
}
