// Package ociimage builds the OCI images of our own programs without a
// container engine: one static Go binary per platform (and the static
// tools it runs, such as tofu) on an empty base,
// running as a non-root user, with every timestamp fixed so the same
// binaries always give the same digests (a bank can rebuild an image and
// compare it with the one it runs). Air-gapped customers copy the OCI
// layout into their Harbor (skopeo, crane, oras).
package ociimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"slices"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// UID and GID the programs run as; the charts set the same numbers.
const (
	UID = 65532
	GID = 65532
)

// BinDir is where the program is installed in the image.
const BinDir = "/usr/local/bin"

// Binary is the program built for one platform.
type Binary struct {
	OS, Arch string // e.g. linux, amd64
	Path     string // the static binary on disk
}

// Tool is a program the image's program runs, installed beside it in
// BinDir (on PATH): one static binary per platform of the image.
type Tool struct {
	Name     string // e.g. tofu
	Binaries []Binary
}

// Spec is one image: a program for one or more platforms.
type Spec struct {
	Name     string // the program's name, e.g. witness
	Binaries []Binary
	// Tools go into every platform's image; each needs a binary for
	// each platform of Binaries.
	Tools []Tool
	// Created dates the image and every file in it (use the commit's
	// time): the digests depend on nothing else.
	Created time.Time
	// Annotations go on the index and, as labels, into each image's
	// config (org.opencontainers.image.version, .revision, .source, …).
	Annotations map[string]string
	// CABundle, when set, is installed as /etc/ssl/certs/ca-certificates.crt
	// for programs that call TLS servers (Gitea, OIDC issuers).
	CABundle []byte
}

// Build returns the multi-platform image index of s.
func Build(s Spec) (v1.ImageIndex, error) {
	if s.Name == "" || path.Base(s.Name) != s.Name {
		return nil, fmt.Errorf("image name %q: want a program name such as witness", s.Name)
	}
	if len(s.Binaries) == 0 {
		return nil, fmt.Errorf("image %s: no binary to put in it", s.Name)
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, b := range s.Binaries {
		img, err := image(s, b)
		if err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: b.OS, Architecture: b.Arch}}})
	}
	if len(s.Annotations) > 0 {
		idx = mutate.Annotations(idx, s.Annotations).(v1.ImageIndex)
	}
	return idx, nil
}

func image(s Spec, b Binary) (v1.Image, error) {
	bin, err := os.ReadFile(b.Path)
	if err != nil {
		return nil, fmt.Errorf("image %s %s/%s: %w", s.Name, b.OS, b.Arch, err)
	}
	files := map[string][]byte{s.Name: bin}
	for _, t := range s.Tools {
		if t.Name == "" || path.Base(t.Name) != t.Name || files[t.Name] != nil {
			return nil, fmt.Errorf("image %s: tool name %q: want a program name other than the image's, such as tofu", s.Name, t.Name)
		}
		tb, err := toolFor(t, b)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", s.Name, err)
		}
		if files[t.Name], err = os.ReadFile(tb.Path); err != nil {
			return nil, fmt.Errorf("image %s tool %s %s/%s: %w", s.Name, t.Name, b.OS, b.Arch, err)
		}
	}
	fsTar, err := rootFS(s, files)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(fsTar)), nil },
		tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = b.OS, b.Arch
	cf.Created = v1.Time{Time: s.Created.UTC()}
	cf.Config = v1.Config{
		User:       fmt.Sprintf("%d:%d", UID, GID),
		Entrypoint: []string{path.Join(BinDir, s.Name)},
		Env:        []string{"PATH=" + BinDir + ":/usr/bin:/bin"},
		WorkingDir: "/",
		Labels:     s.Annotations,
	}
	comment := "static Go binary"
	for _, t := range s.Tools {
		comment += " + " + t.Name
	}
	cf.History = []v1.History{{Created: cf.Created, CreatedBy: "openova ociimage: " + s.Name, Comment: comment}}
	return mutate.ConfigFile(img, cf)
}

// toolFor is t's binary for b's platform.
func toolFor(t Tool, b Binary) (Binary, error) {
	for _, tb := range t.Binaries {
		if tb.OS == b.OS && tb.Arch == b.Arch {
			return tb, nil
		}
	}
	return Binary{}, fmt.Errorf("tool %s has no binary for %s/%s", t.Name, b.OS, b.Arch)
}

// rootFS is the single layer: the programs (by name, in BinDir), a
// passwd/group naming the non-root user, the CA bundle, and a
// world-writable /tmp.
func rootFS(s Spec, bins map[string][]byte) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mod := s.Created.UTC()
	dir := func(name string, mode int64) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, ModTime: mod, Format: tar.FormatPAX})
	}
	file := func(name string, mode int64, data []byte) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data)), ModTime: mod, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", UID, GID)
	group := fmt.Sprintf("root:x:0:\nnonroot:x:%d:\n", GID)
	steps := []func() error{
		func() error { return dir("etc", 0o755) },
		func() error { return file("etc/passwd", 0o644, []byte(passwd)) },
		func() error { return file("etc/group", 0o644, []byte(group)) },
		func() error { return dir("tmp", 0o1777) },
		func() error { return dir("usr", 0o755) },
		func() error { return dir("usr/local", 0o755) },
		func() error { return dir("usr/local/bin", 0o755) },
	}
	for _, name := range slices.Sorted(maps.Keys(bins)) { // a fixed order: the same digest
		steps = append(steps, func() error { return file(path.Join("usr/local/bin", name), 0o755, bins[name]) })
	}
	if len(s.CABundle) > 0 {
		steps = append(steps,
			func() error { return dir("etc/ssl", 0o755) },
			func() error { return dir("etc/ssl/certs", 0o755) },
			func() error { return file("etc/ssl/certs/ca-certificates.crt", 0o644, s.CABundle) })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, fmt.Errorf("image %s: layer: %w", s.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// WriteLayout writes idx as an OCI image layout in dir (replaced if it
// exists): the form skopeo, crane and oras copy into a registry.
func WriteLayout(dir string, idx v1.ImageIndex) error {
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	if _, err := layout.Write(tmp, idx); err != nil {
		return fmt.Errorf("write OCI layout %s: %w", dir, err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}
