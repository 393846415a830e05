package instance

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidationError is a spec that parsed but breaks rules; it lists them all.
type ValidationError struct {
	Errs field.ErrorList
}

func (e *ValidationError) Error() string {
	lines := make([]string, 0, len(e.Errs)+1)
	lines = append(lines, fmt.Sprintf("instance spec has %d problem(s):", len(e.Errs)))
	for _, err := range e.Errs {
		lines = append(lines, "  "+err.Error())
	}
	return strings.Join(lines, "\n")
}

// Check parses, defaults and validates a spec: what validate and generate
// both run.
func Check(data []byte, cat *Catalog) (*Instance, error) {
	in, err := Parse(data)
	if err != nil {
		return nil, err
	}
	SetDefaults(in)
	if errs := Validate(in, cat); len(errs) > 0 {
		return nil, &ValidationError{Errs: errs}
	}
	return in, nil
}
