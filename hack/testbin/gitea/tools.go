//go:build tools

// Package tools pins the Gitea server that the pull-request tests run (the
// portal, upgrades, blueprint sync, seed); see ../install-gitea.sh.
package tools

import _ "code.gitea.io/gitea"
