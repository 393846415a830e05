package bootstrap

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/iostreams"
	"github.com/openova-io/openova/internal/tofutest"
)

func TestChooseTofu(t *testing.T) {
	found := func(string) (string, error) { return "/usr/local/bin/tofu", nil }
	missing := func(string) (string, error) { return "", errors.New("not found") }
	for _, tc := range []struct {
		name  string
		flag  string
		given bool
		look  func(string) (string, error)
		want  string
	}{
		{"on PATH, no flag", "", false, found, "/usr/local/bin/tofu"},
		{"nowhere, no flag", "", false, missing, ""},
		{"--tofu given wins over PATH", "/opt/tofu", true, found, "/opt/tofu"},
		{`--tofu "" turns it off though one is on PATH`, "", true, found, ""},
	} {
		if got := chooseTofu(tc.flag, tc.given, tc.look); got.Path != tc.want || got.Why == "" {
			t.Errorf("%s: %+v, want path %q and a reason", tc.name, got, tc.want)
		}
	}
}

// start runs `catalyst bootstrap args...` until it serves (then stops it)
// or exits, and returns its log and error.
func start(t *testing.T, args ...string) (string, error) {
	t.Helper()
	t.Setenv(DatabaseEnv, "")
	t.Setenv("CATALYST_WIZARD_KEY", "")
	t.Setenv(AdminPasswordEnv, "")
	streams, _, _, errOut := iostreams.Test()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	ready := make(chan string, 1)
	cmd := NewCmdBootstrap(&factory.Factory{IOStreams: streams}, func(o *Options) error {
		o.Ready = func(addr string) { ready <- addr; stop() }
		o.Stop = ctx
		return Run(o)
	})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs(append([]string{"--listen", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "data")}, args...))
	err := cmd.Execute()
	return errOut.String(), err
}

// TestTofuOnPathTurnsManagedApplyOn: the catalyst image's case (tofu in
// /usr/local/bin, on PATH) needs no flag; the log names the binary and its
// version; --tofu "" still turns managed apply off; a --tofu that is not
// OpenTofu stops the start with the flag named.
func TestTofuOnPathTurnsManagedApplyOn(t *testing.T) {
	bin := t.TempDir()
	if err := os.Symlink(tofutest.Bin(t), filepath.Join(bin, "tofu")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)
	log, err := start(t)
	if err != nil || !strings.Contains(log, "managed apply on, with "+filepath.Join(bin, "tofu")+" (OpenTofu v1.10.10") {
		t.Fatalf("tofu on PATH: %v\n%s", err, log)
	}
	log, err = start(t, "--tofu", "")
	if err != nil || !strings.Contains(log, `managed apply off (--tofu "" given)`) {
		t.Fatalf(`--tofu "": %v\n%s`, err, log)
	}
	t.Setenv("PATH", t.TempDir())
	log, err = start(t)
	if err != nil || !strings.Contains(log, "managed apply off (no tofu on PATH") {
		t.Fatalf("no tofu anywhere: %v\n%s", err, log)
	}
	notTofu := filepath.Join(t.TempDir(), "tofu")
	os.WriteFile(notTofu, []byte("#!/bin/sh\necho 'Terraform v1.5.7'\n"), 0o755)
	_, err = start(t, "--tofu", notTofu)
	if err == nil || !strings.Contains(err.Error(), "--tofu "+notTofu) || !strings.Contains(err.Error(), "not OpenTofu") {
		t.Fatalf("--tofu of another program: %v", err)
	}
}
