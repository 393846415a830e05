package instance

import (
	"bytes"
	"fmt"
	"os"

	"sigs.k8s.io/yaml"
)

// MaxSize bounds instance.yaml; a real spec is a few KiB.
const MaxSize = 1 << 20

// Load reads and parses an instance spec file. It neither defaults nor
// validates: call SetDefaults and Validate.
func Load(path string) (*Instance, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read instance spec: %w", err)
	}
	in, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return in, nil
}

// Parse decodes an instance spec strictly: an unknown or misspelt field is
// an error naming it, so a typo never silently falls back to a default.
func Parse(data []byte) (*Instance, error) {
	if len(data) > MaxSize {
		return nil, fmt.Errorf("instance spec is %d bytes, larger than the %d-byte limit", len(data), MaxSize)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fmt.Errorf("instance spec is empty: start from `catalyst init`")
	}
	var in Instance
	if err := yaml.UnmarshalStrict(data, &in); err != nil {
		return nil, fmt.Errorf("parse instance spec: %w", err)
	}
	return &in, nil
}

// Marshal renders a spec as YAML (stable key order), as written into the
// instance repository.
func Marshal(in *Instance) ([]byte, error) {
	return yaml.Marshal(in)
}
