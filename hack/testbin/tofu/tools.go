//go:build tools

// Package tools pins the tofu binary used by the OpenTofu tests; see
// ../install-tofu.sh.
package tools

import _ "github.com/opentofu/opentofu/cmd/tofu"
