package apply

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// PIDFile records the running tofu, so that a wizard restarted after being
// killed from outside (its tofu child left running) stops that child before
// resuming: two tofu processes must never write one state.
const PIDFile = ".catalyst-tofu.pid"

func (r *Runner) writePID(pid int) error {
	return os.WriteFile(filepath.Join(r.Dir, PIDFile), []byte(strconv.Itoa(pid)), 0o600)
}

func (r *Runner) clearPID() { os.Remove(filepath.Join(r.Dir, PIDFile)) }

// signalGroup signals the process group pid leads, or the process alone
// when it leads none.
func signalGroup(pid int, sig syscall.Signal) error {
	err := syscall.Kill(-pid, sig)
	if errors.Is(err, syscall.ESRCH) {
		err = syscall.Kill(pid, sig)
	}
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// stopOrphan stops a tofu left by a previous wizard process, identified by
// the PID file and confirmed by its command line (a reused PID of another
// program is left alone): interrupted first, so it writes the state of
// what it was creating, killed with its process group after the grace
// period, and waited for.
func (r *Runner) stopOrphan() error {
	data, err := os.ReadFile(filepath.Join(r.Dir, PIDFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer r.clearPID()
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 1 {
		return nil
	}
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || !bytes.HasPrefix(cmdline, []byte(r.Tofu+"\x00")) {
		return nil // gone, or not our tofu
	}
	if err := signalGroup(pid, syscall.SIGINT); err != nil {
		return fmt.Errorf("interrupt the tofu (pid %d) a previous wizard left running: %w", pid, err)
	}
	if gone(pid, r.stopGrace()) {
		signalGroup(pid, syscall.SIGKILL) // its providers, if any outlived it
		return nil
	}
	if err := signalGroup(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("stop the tofu (pid %d) a previous wizard left running: %w", pid, err)
	}
	if gone(pid, 5*time.Second) {
		return nil
	}
	return fmt.Errorf("the tofu (pid %d) a previous wizard left running does not stop", pid)
}

// gone waits up to d for pid to exit (a zombie counts as gone: its parent,
// the dead wizard, cannot reap it).
func gone(pid int, d time.Duration) bool {
	for end := time.Now().Add(d); ; time.Sleep(50 * time.Millisecond) {
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err != nil || bytes.Contains(st, []byte(") Z ")) {
			return true
		}
		if time.Now().After(end) {
			return false
		}
	}
}
