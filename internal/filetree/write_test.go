package filetree

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func mustTree(t *testing.T, files map[string]string) *Tree {
	t.Helper()
	tr := New()
	for p, s := range files {
		if err := tr.Add(p, []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

func read(t *testing.T, dir, p string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, p))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestAddRejectsBadPaths(t *testing.T) {
	for _, p := range []string{"", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", ManifestPath, `a\b`} {
		if err := New().Add(p, nil); err == nil {
			t.Errorf("Add(%q) should fail", p)
		}
	}
	tr := New()
	_ = tr.Add("a", nil)
	if err := tr.Add("a", nil); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("duplicate path: %v", err)
	}
}

func TestWriteIsIncremental(t *testing.T) {
	dir := t.TempDir()
	first := mustTree(t, map[string]string{"a.txt": "1", "sub/b.txt": "2", "old/c.txt": "3"})
	c, err := Write(first, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Added) != 3 || c.Unchanged != 0 {
		t.Fatalf("first write: %+v", c)
	}
	// The customer adds their own files, including next to generated ones.
	if err := os.WriteFile(filepath.Join(dir, "mine.txt"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "old", "notes.md"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	// An unchanged file must not be rewritten: its mtime stays.
	past := time.Unix(1_000_000, 0)
	if err := os.Chtimes(filepath.Join(dir, "a.txt"), past, past); err != nil {
		t.Fatal(err)
	}

	second := mustTree(t, map[string]string{"a.txt": "1", "sub/b.txt": "2b", "new/d.txt": "4"})
	preview, err := Diff(second, dir)
	if err != nil {
		t.Fatal(err)
	}
	c, err = Write(second, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := Changes{Added: []string{"new/d.txt"}, Modified: []string{"sub/b.txt"}, Removed: []string{"old/c.txt"}, Unchanged: 1}
	if !reflect.DeepEqual(c, want) || !reflect.DeepEqual(preview, want) {
		t.Fatalf("changes = %+v, preview = %+v, want %+v", c, preview, want)
	}
	if read(t, dir, "mine.txt") != "keep" || read(t, dir, "old/notes.md") != "keep" {
		t.Fatal("customer files must survive")
	}
	if _, err := os.Stat(filepath.Join(dir, "old", "c.txt")); !os.IsNotExist(err) {
		t.Fatal("stale generated file should be gone")
	}
	if fi, _ := os.Stat(filepath.Join(dir, "a.txt")); !fi.ModTime().Equal(past) {
		t.Fatal("unchanged file was rewritten")
	}
	if read(t, dir, "sub/b.txt") != "2b" {
		t.Fatal("modified file not written")
	}
	if m := read(t, dir, ManifestPath); !strings.HasSuffix(m, "a.txt\nnew/d.txt\nsub/b.txt\n") {
		t.Fatalf("manifest: %q", m)
	}
	again, err := Write(second, dir)
	if err != nil || !again.Empty() {
		t.Fatalf("third write should change nothing: %+v %v", again, err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "*", ".catalyst-*"))
	if len(leftovers) != 0 {
		t.Fatalf("temporary files left: %v", leftovers)
	}
}

func TestWritePrunesEmptiedDirectories(t *testing.T) {
	dir := t.TempDir()
	if _, err := Write(mustTree(t, map[string]string{"x/y/z.txt": "1", "k.txt": "2"}), dir); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(mustTree(t, map[string]string{"k.txt": "2"}), dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); !os.IsNotExist(err) {
		t.Fatal("emptied directory x should be removed")
	}
}

func TestWriteRefusesSymlinks(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dir, "terraform")); err != nil {
		t.Fatal(err)
	}
	_, err := Write(mustTree(t, map[string]string{"terraform/main.tf": "x"}), dir)
	if err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Fatalf("want a symlink error, got %v", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Fatal("wrote through a symlink")
	}
}

func TestTamperedManifestDeletesNothingOutside(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".openova"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ManifestPath), []byte("../victim\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(New(), dir); err == nil || !strings.Contains(err.Error(), "restore the file from Git") {
		t.Fatalf("want a manifest error, got %v", err)
	}
}

func TestWriteUnified(t *testing.T) {
	dir := t.TempDir()
	if _, err := Write(mustTree(t, map[string]string{"a.txt": "one\ntwo\n", "gone.txt": "x\n"}), dir); err != nil {
		t.Fatal(err)
	}
	next := mustTree(t, map[string]string{"a.txt": "one\n2\n", "b.txt": "new\n"})
	c, err := Diff(next, dir)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteUnified(&out, next, dir, c); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"--- /dev/null\n+++ b/b.txt", "-two\n+2\n", "--- a/gone.txt\n+++ /dev/null", "-x\n"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("diff lacks %q:\n%s", want, out.String())
		}
	}
}
