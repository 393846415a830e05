// Package tofutest gives tests the pinned real OpenTofu and a way to see the
// processes a configuration's local-exec provisioner starts.
package tofutest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Bin builds (once, cached outside the clone by hack/testbin/install-tofu.sh)
// the pinned tofu and returns its path.
func Bin(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	script := filepath.Join(filepath.Dir(file), "..", "..", "hack", "testbin", "install-tofu.sh")
	out, err := exec.Command(script).Output()
	if err != nil {
		t.Fatalf("build tofu with hack/testbin/install-tofu.sh: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "tofu")
}

var sleepers atomic.Int64

// Sleeper is a `sleep` a provisioner runs for about ten minutes, with an
// argument no other test process uses (test packages run in parallel), so
// a test counts only its own.
type Sleeper struct{ arg string }

// NewSleeper returns a sleeper unique to this test process and call.
func NewSleeper() Sleeper {
	return Sleeper{arg: fmt.Sprintf("617.%d%03d", os.Getpid(), sleepers.Add(1)%1000)}
}

// Command is the shell command for a local-exec provisioner.
func (s Sleeper) Command() string { return "sleep " + s.arg }

// Running counts the live processes running this sleeper (a zombie has no
// command line, so it does not count).
func (s Sleeper) Running() int {
	want := []byte("sleep\x00" + s.arg + "\x00")
	n := 0
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if data, err := os.ReadFile(p); err == nil && bytes.Equal(data, want) {
			n++
		}
	}
	return n
}

// Gone reports whether every process running this sleeper has ended within
// d. A signal is delivered asynchronously: a process killed a moment ago
// may still be listed until the kernel has run its exit.
func (s Sleeper) Gone(d time.Duration) bool {
	for end := time.Now().Add(d); ; time.Sleep(20 * time.Millisecond) {
		if s.Running() == 0 {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}

// Run runs tofu in dir with exactly env (plus PATH, a fresh HOME and
// TF_IN_AUTOMATION; none of the test process's TF_VAR_), and returns its
// combined output. A failed init fails the test: nothing after it means
// anything.
func Run(t testing.TB, tofu, dir string, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(tofu, args...)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "TF_IN_AUTOMATION=1"}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil && len(args) > 0 && args[0] == "init" {
		t.Fatalf("tofu init: %v\n%s", err, out)
	}
	return string(out), err
}
