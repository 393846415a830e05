package filetree

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
)

// Checkout is what a repository holds after t is written into it: every
// file of t plus the manifest at ManifestPath.
func Checkout(t *Tree) map[string][]byte {
	files := make(map[string][]byte, t.Len()+1)
	for _, p := range t.Paths() {
		files[p], _ = t.Get(p)
	}
	files[ManifestPath] = Manifest(t)
	return files
}

// Manifest is the manifest file a write of t leaves at ManifestPath.
func Manifest(t *Tree) []byte {
	var m strings.Builder
	m.WriteString(manifestHeader)
	for _, p := range t.Paths() {
		m.WriteString(p + "\n")
	}
	return []byte(m.String())
}

// ParseManifest returns the sorted paths a manifest lists; a path that
// could leave the tree is an error, so a tampered manifest deletes nothing.
func ParseManifest(b []byte) ([]string, error) {
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if checkPath(line) != nil {
			return nil, fmt.Errorf("%s: invalid path %q; restore the file from Git", ManifestPath, line)
		}
		out = append(out, line)
	}
	sort.Strings(out)
	return out, nil
}

// DiffFiles is Diff against a checkout held in memory (a repository
// snapshot: path → content, the manifest included): what writing t into
// that checkout would add, modify and remove. The manifest itself is not
// listed; ManifestChanged says whether it would be rewritten.
func DiffFiles(t *Tree, files map[string][]byte) (Changes, error) {
	var c Changes
	for _, p := range t.Paths() {
		old, ok := files[p]
		switch {
		case !ok:
			c.Added = append(c.Added, p)
		case bytes.Equal(old, t.files[p]):
			c.Unchanged++
		default:
			c.Modified = append(c.Modified, p)
		}
	}
	prev, err := ParseManifest(files[ManifestPath])
	if err != nil {
		return c, err
	}
	for _, p := range prev {
		if _, still := t.files[p]; still {
			continue
		}
		if _, ok := files[p]; ok {
			c.Removed = append(c.Removed, p)
		}
	}
	return c, nil
}

// ManifestChanged reports whether writing t over files rewrites the manifest.
func ManifestChanged(t *Tree, files map[string][]byte) bool {
	old, ok := files[ManifestPath]
	return !ok || !bytes.Equal(old, Manifest(t))
}
