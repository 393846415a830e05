package filetree

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// DiffFiles over a snapshot of a directory says what Diff says of the
// directory itself: one semantics for disk and memory.
func TestDiffFilesMatchesDiff(t *testing.T) {
	dir := t.TempDir()
	if _, err := Write(mustTree(t, map[string]string{"a.txt": "1", "sub/b.txt": "2", "old/c.txt": "3"}), dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "mine.txt"), []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	snapshot := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		b, err := os.ReadFile(p)
		snapshot[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	next := mustTree(t, map[string]string{"a.txt": "1", "sub/b.txt": "2b", "new/d.txt": "4"})
	onDisk, err := Diff(next, dir)
	if err != nil {
		t.Fatal(err)
	}
	inMemory, err := DiffFiles(next, snapshot)
	if err != nil {
		t.Fatal(err)
	}
	want := Changes{Added: []string{"new/d.txt"}, Modified: []string{"sub/b.txt"}, Removed: []string{"old/c.txt"}, Unchanged: 1}
	if !reflect.DeepEqual(inMemory, want) || !reflect.DeepEqual(onDisk, want) {
		t.Fatalf("memory %+v, disk %+v, want %+v", inMemory, onDisk, want)
	}
	if !ManifestChanged(next, snapshot) {
		t.Error("the manifest lists old/c.txt and must be rewritten")
	}
	if _, err := Write(next, dir); err != nil {
		t.Fatal(err)
	}
	m, _ := os.ReadFile(filepath.Join(dir, ManifestPath))
	if string(m) != string(Manifest(next)) {
		t.Errorf("Write left manifest %q, Manifest says %q", m, Manifest(next))
	}
	if _, err := DiffFiles(next, map[string][]byte{ManifestPath: []byte("../victim\n")}); err == nil {
		t.Error("a tampered manifest must be refused")
	}
}
