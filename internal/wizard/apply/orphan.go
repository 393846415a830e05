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

// stopOrphan kills a tofu left by a previous wizard process, identified by
// the PID file and confirmed by its command line (a reused PID of another
// program is left alone), and waits for it to be gone.
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
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("stop the tofu (pid %d) a previous wizard left running: %w", pid, err)
	}
	for i := 0; i < 100; i++ { // a killed process leaves /proc once reaped
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err != nil || bytes.Contains(st, []byte(") Z ")) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the tofu (pid %d) a previous wizard left running does not stop", pid)
}
