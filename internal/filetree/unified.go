package filetree

import (
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/pmezard/go-difflib/difflib"
)

// WriteUnified prints the changes as a unified diff (disk is "a", the
// tree is "b"), the preview `catalyst diff` shows before a generate.
func WriteUnified(w io.Writer, t *Tree, dir string, c Changes) error {
	show := func(p string, from, to []byte) error {
		d := difflib.UnifiedDiff{
			A: difflib.SplitLines(string(from)), B: difflib.SplitLines(string(to)),
			FromFile: "a/" + p, ToFile: "b/" + p, Context: 3,
		}
		if from == nil {
			d.FromFile = "/dev/null"
		}
		if to == nil {
			d.ToFile = "/dev/null"
		}
		return difflib.WriteUnifiedDiff(w, d)
	}
	old := func(p string) ([]byte, error) {
		b, err := readRegular(dir, p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return b, err
	}
	for _, group := range [][]string{c.Added, c.Modified, c.Removed} {
		for _, p := range group {
			from, err := old(p)
			if err != nil {
				return fmt.Errorf("diff %s: %w", p, err)
			}
			to, _ := t.Get(p)
			if err := show(p, from, to); err != nil {
				return err
			}
		}
	}
	return nil
}
