package bootstrap

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// tofuChoice is what --tofu resolves to: the binary managed apply runs, or
// none and why.
type tofuChoice struct {
	Path string // empty: managed apply off
	Why  string // for the start-up log
}

// chooseTofu decides managed apply's tofu: the --tofu given (empty turns
// it off), else a `tofu` found on PATH (the catalyst image has one in
// /usr/local/bin), else none. lookPath is exec.LookPath outside tests.
func chooseTofu(flag string, given bool, lookPath func(string) (string, error)) tofuChoice {
	switch {
	case given && flag == "":
		return tofuChoice{Why: "--tofu \"\" given"}
	case given:
		return tofuChoice{Path: flag, Why: "--tofu"}
	}
	p, err := lookPath("tofu")
	if err != nil {
		return tofuChoice{Why: "no tofu on PATH; pass --tofu /path/to/tofu to turn it on"}
	}
	return tofuChoice{Path: p, Why: "found on PATH"}
}

// tofuVersion runs `tofu version` and returns its first line (e.g.
// "OpenTofu v1.10.10"): a binary that does not run is refused at start,
// not at the first apply.
func tofuVersion(ctx context.Context, path string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var out, errOut bytes.Buffer
	cmd := exec.CommandContext(ctx, path, "version")
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			err = fmt.Errorf("%w: %s", err, strings.TrimSpace(errOut.String()))
		}
		return "", fmt.Errorf("--tofu %s: `tofu version` failed: %w", path, err)
	}
	first, _, _ := strings.Cut(out.String(), "\n")
	if !strings.HasPrefix(first, "OpenTofu ") {
		return "", fmt.Errorf("--tofu %s: `tofu version` says %q, not OpenTofu: point --tofu at an OpenTofu binary", path, first)
	}
	return first, nil
}
