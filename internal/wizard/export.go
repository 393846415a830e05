package wizard

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"time"

	"github.com/openova-io/openova/internal/filetree"
)

// Archive writes a generated tree as a gzipped tar under dir/, every
// header fixed (mode 0644, zero owner, a constant time) so that the same
// tree always gives the same bytes.
func Archive(w io.Writer, dir string, t *filetree.Tree) error {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	epoch := time.Unix(0, 0).UTC()
	for _, p := range t.Paths() {
		data, _ := t.Get(p)
		h := &tar.Header{Name: dir + "/" + p, Mode: 0o644, Size: int64(len(data)), ModTime: epoch, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("archive %s: %w", p, err)
		}
		if _, err := tw.Write(data); err != nil {
			return fmt.Errorf("archive %s: %w", p, err)
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}

// Unarchive reads an archive written by Archive back into path → bytes,
// with dir/ stripped; tests and `catalyst` users checking an export use it.
func Unarchive(data []byte, dir string) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("export is not gzip: %w", err)
	}
	tr := tar.NewReader(zr)
	out := map[string][]byte{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		name := h.Name
		if len(name) <= len(dir)+1 || name[:len(dir)+1] != dir+"/" {
			return nil, fmt.Errorf("archive entry %s is outside %s/", name, dir)
		}
		out[name[len(dir)+1:]] = b
	}
}
