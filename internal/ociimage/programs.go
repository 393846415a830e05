package ociimage

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Programs are our deployables: the image name and its main package.
var Programs = map[string]string{
	"catalyst":            "./cmd/catalyst",
	"failover-controller": "./cmd/failover-controller",
	"witness":             "./cmd/witness",
	"llm-gateway":         "./cmd/llm-gateway",
}

// Tools are the third-party programs an image carries beside its own, by
// image: the catalyst image holds tofu so that a wizard run from it can
// apply (managed apply finds it on PATH).
var Tools = map[string][]string{
	"catalyst": {"tofu"},
}

// TofuModule is the tools module pinning OpenTofu, relative to the
// repository: the same pin the tests run (internal/tofutest).
const TofuModule = "hack/testbin/tofu"

// GoBuild builds pkg (in the repository at root) statically for
// linux/goarch into out: no cgo, no paths of this machine in the binary.
func GoBuild(root, pkg, goarch, out string) error {
	return goBuild(root, goarch, out, "-s -w", pkg)
}

// BuildTofu builds the pinned OpenTofu for linux/goarch into out, from the
// Go module proxy with the tools module TofuModule, the way OpenTofu's own
// release is linked (version.dev=no: `tofu version` says v1.10.10, not
// v1.10.10-dev).
func BuildTofu(root, goarch, out string) error {
	return goBuild(filepath.Join(root, TofuModule), goarch, out,
		"-s -w -X github.com/opentofu/opentofu/version.dev=no", "github.com/opentofu/opentofu/cmd/tofu")
}

// BuildTool builds the named entry of Tools.
func BuildTool(root, name, goarch, out string) error {
	switch name {
	case "tofu":
		return BuildTofu(root, goarch, out)
	}
	return fmt.Errorf("no recipe for tool %q", name)
}

func goBuild(dir, goarch, out, ldflags, pkg string) error {
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags="+ldflags, "-o", out, pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+goarch, "GOFLAGS=-mod=readonly")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s for linux/%s: %w\n%s", pkg, goarch, err, b)
	}
	return nil
}

// TofuVersion is the version the tools module pins (e.g. v1.10.10).
func TofuVersion(root string) (string, error) {
	f, err := os.Open(filepath.Join(root, TofuModule, "go.mod"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) == 3 && fs[0] == "require" && fs[1] == "github.com/opentofu/opentofu" {
			return fs[2], nil
		}
	}
	return "", fmt.Errorf("%s/go.mod pins no github.com/opentofu/opentofu", TofuModule)
}
