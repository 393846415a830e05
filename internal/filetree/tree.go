// Package filetree is an in-memory file tree (sorted relative paths to
// bytes), the output of every generator, and its writer: generating over
// an existing directory rewrites only what changed and removes only the
// files it generated before, never a file the customer added.
package filetree

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Tree maps slash-separated relative paths to file contents.
type Tree struct {
	files map[string][]byte
}

// New returns an empty tree.
func New() *Tree { return &Tree{files: map[string][]byte{}} }

// Add puts a file into the tree. The path must be relative, clean and not
// already present: two renderers writing one path is a bug to surface,
// not to resolve silently.
func (t *Tree) Add(p string, data []byte) error {
	if err := checkPath(p); err != nil {
		return err
	}
	if _, ok := t.files[p]; ok {
		return fmt.Errorf("generated path %s is written twice", p)
	}
	t.files[p] = data
	return nil
}

// Get returns a file's contents.
func (t *Tree) Get(p string) ([]byte, bool) {
	b, ok := t.files[p]
	return b, ok
}

// Paths returns every path, sorted.
func (t *Tree) Paths() []string {
	out := make([]string, 0, len(t.files))
	for p := range t.files {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// Under returns the sorted paths below a directory prefix.
func (t *Tree) Under(dir string) []string {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	var out []string
	for _, p := range t.Paths() {
		if strings.HasPrefix(p, prefix) {
			out = append(out, p)
		}
	}
	return out
}

// Len is the number of files.
func (t *Tree) Len() int { return len(t.files) }

func checkPath(p string) error {
	switch {
	case p == "" || path.IsAbs(p) || strings.Contains(p, "\\"):
		return fmt.Errorf("generated path %q must be a relative slash-separated path", p)
	case path.Clean(p) != p || p == "." || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("generated path %q must be clean and stay inside the tree", p)
	case p == ManifestPath:
		return fmt.Errorf("generated path %q is reserved for the manifest", p)
	}
	return nil
}
