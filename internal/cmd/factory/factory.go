// Package factory holds the lazily built dependencies shared by commands.
package factory

import (
	"github.com/openova-io/openova/internal/iostreams"
)

// Factory gives commands their dependencies; tests build one with fakes of
// the streams only.
type Factory struct {
	IOStreams *iostreams.IOStreams
}

// New returns the factory used by the real binary.
func New() *Factory {
	return &Factory{IOStreams: iostreams.System()}
}
