package bootstrap

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/wizard"
)

// rehearsal is the ApplyConfig of --apply-config: dir's .tf files beside
// the generated variables.tf, so the held values still reach every
// variable the real configuration declares. nil (dir empty) keeps the
// generated terraform/.
func rehearsal(dir string) func(*wizard.Bootstrap, *filetree.Tree) (map[string][]byte, error) {
	if dir == "" {
		return nil
	}
	return func(_ *wizard.Bootstrap, t *filetree.Tree) (map[string][]byte, error) {
		vars, ok := t.Get("terraform/variables.tf")
		if !ok {
			return nil, fmt.Errorf("the generated tree has no terraform/variables.tf")
		}
		out := map[string][]byte{"variables.tf": vars}
		files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("--apply-config %s: no .tf file", dir)
		}
		for _, f := range files {
			if filepath.Base(f) == "variables.tf" {
				return nil, fmt.Errorf("--apply-config %s: variables.tf is the generated one; rename yours", dir)
			}
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("--apply-config: %w", err)
			}
			out[filepath.Base(f)] = data
		}
		return out, nil
	}
}
