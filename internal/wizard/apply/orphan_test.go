package apply

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestStopOrphan: a tofu left running by a killed wizard (here sleep plays
// it: a real process, only its name differs) is killed before a resume;
// a PID now used by another program is left alone.
func TestStopOrphan(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Fatal(err)
	}
	start := func() *exec.Cmd {
		cmd := exec.Command(sleep, "60")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	dir := t.TempDir()
	pidFile := filepath.Join(dir, PIDFile)

	other := start()
	os.WriteFile(pidFile, []byte(strconv.Itoa(other.Process.Pid)), 0o600)
	if err := (&Runner{Tofu: "/opt/tofu/tofu", Dir: dir}).stopOrphan(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(other.Process.Pid)); err != nil {
		t.Fatal("a process that is not our tofu was killed")
	}

	orphan := start()
	os.WriteFile(pidFile, []byte(strconv.Itoa(orphan.Process.Pid)), 0o600)
	if err := (&Runner{Tofu: sleep, Dir: dir}).stopOrphan(); err != nil {
		t.Fatal(err)
	}
	if err := orphan.Wait(); err == nil || orphan.ProcessState.Success() {
		t.Fatalf("the orphan was not killed: %v", err)
	}
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Fatal("the PID file was kept")
	}
}
