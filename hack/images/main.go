// Command images builds the OCI images of OpenOva's own programs, without
// a container engine, into OCI image layouts:
//
//	go run ./hack/images -o dist/images                 # linux/amd64 and linux/arm64
//	skopeo copy oci:dist/images/catalyst docker://harbor.acme.example.com/openova/catalyst:0.1.0
//
// Images are reproducible: dated at the commit, so the same commit gives
// the same digests. The catalyst image also holds the pinned OpenTofu
// (hack/testbin/tofu), built from the Go module proxy.
package main

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/openova-io/openova/internal/ociimage"
)

func main() {
	out := flag.String("o", "dist/images", "directory receiving one OCI layout per program")
	arches := flag.String("arch", "amd64,arm64", "linux architectures, comma separated")
	version := flag.String("version", "dev", "org.opencontainers.image.version")
	only := flag.String("only", "", "build only these programs, comma separated")
	caBundle := flag.String("ca-bundle", "/etc/ssl/certs/ca-certificates.crt", `CA bundle installed in the images ("" for none)`)
	flag.Parse()
	if err := run(*out, strings.Split(*arches, ","), *version, *only, *caBundle); err != nil {
		fmt.Fprintln(os.Stderr, "images:", err)
		os.Exit(1)
	}
}

func run(out string, arches []string, version, only, caBundle string) error {
	revision, created, err := commit()
	if err != nil {
		return err
	}
	var ca []byte
	if caBundle != "" {
		if ca, err = os.ReadFile(caBundle); err != nil {
			return fmt.Errorf("--ca-bundle: %w", err)
		}
	}
	work, err := os.MkdirTemp("", "openova-images")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	top, err := exec.Command("git", "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return fmt.Errorf("find the repository (run inside it): %w", err)
	}
	root := strings.TrimSpace(string(top))
	for _, name := range slices.Sorted(maps.Keys(ociimage.Programs)) {
		pkg := ociimage.Programs[name]
		if only != "" && !strings.Contains(","+only+",", ","+name+",") {
			continue
		}
		spec := ociimage.Spec{Name: name, Created: created, CABundle: ca, Annotations: map[string]string{
			"org.opencontainers.image.title":    name,
			"org.opencontainers.image.version":  version,
			"org.opencontainers.image.revision": revision,
			"org.opencontainers.image.source":   "https://github.com/openova-io/openova",
			"org.opencontainers.image.licenses": "Apache-2.0",
		}}
		for _, arch := range arches {
			bin := filepath.Join(work, name+"-"+arch)
			if err := ociimage.GoBuild(root, pkg, arch, bin); err != nil {
				return err
			}
			spec.Binaries = append(spec.Binaries, ociimage.Binary{OS: "linux", Arch: arch, Path: bin})
		}
		for _, tool := range ociimage.Tools[name] {
			t := ociimage.Tool{Name: tool}
			for _, arch := range arches {
				bin := filepath.Join(work, name+"-"+tool+"-"+arch)
				if err := ociimage.BuildTool(root, tool, arch, bin); err != nil {
					return err
				}
				t.Binaries = append(t.Binaries, ociimage.Binary{OS: "linux", Arch: arch, Path: bin})
			}
			spec.Tools = append(spec.Tools, t)
		}
		idx, err := ociimage.Build(spec)
		if err != nil {
			return err
		}
		if err := ociimage.WriteLayout(filepath.Join(out, name), idx); err != nil {
			return err
		}
		d, _ := idx.Digest()
		fmt.Printf("%s\t%s\t%s\n", name, d, filepath.Join(out, name))
	}
	return nil
}

// commit is HEAD's hash and time: the images' revision and date.
func commit() (string, time.Time, error) {
	b, err := exec.Command("git", "log", "-1", "--format=%H %cI").Output()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("read the commit (run inside the repository): %w", err)
	}
	hash, when, _ := strings.Cut(strings.TrimSpace(string(b)), " ")
	t, err := time.Parse(time.RFC3339, when)
	return hash, t, err
}
