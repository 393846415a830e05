package conformance_test

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/witness"
	"github.com/openova-io/openova/internal/witness/conformance"
)

// workerTarget runs witness/cloudflare under Miniflare (real workerd) with
// Durable Object state persisted to a temp dir. Its clock is real, so
// Advance sleeps. Restart SIGKILLs the whole process group (node and
// workerd) and starts again on the same state.
type workerTarget struct {
	dir, persist, creds string
	cmd                 *exec.Cmd
	url                 string
}

const setupHint = "run: (cd witness/cloudflare && npm ci)   # Node.js >= 20 and npm on PATH"

func TestWorkerConformance(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "witness", "cloudflare")
	if _, err := exec.LookPath("node"); err != nil {
		t.Fatalf("node is not on PATH; the Worker runs under Miniflare on Node.js: %s", setupHint)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "miniflare", "package.json")); err != nil {
		t.Fatalf("miniflare is not installed in %s: %s", dir, setupHint)
	}
	w := &workerTarget{dir: dir, persist: t.TempDir(), creds: writeCredentials(t)}
	w.start(t)
	t.Cleanup(w.stop)
	conformance.Run(t, w)
}

func writeCredentials(t *testing.T) string {
	regions := map[string][]string{}
	for region, token := range conformance.Tokens {
		regions[region] = []string{witness.HashToken(token)}
	}
	b, err := json.Marshal(map[string]any{"regions": regions})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func (w *workerTarget) start(t testing.TB) {
	t.Helper()
	cmd := exec.Command("node", "dev.mjs", "--port", "0", "--persist", w.persist, "--credentials", w.creds)
	cmd.Dir = w.dir
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the Worker under Miniflare: %v (%s)", err, setupHint)
	}
	w.cmd = cmd
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if u, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				lines <- u
			}
		}
		close(lines)
	}()
	select {
	case u, ok := <-lines:
		if !ok {
			w.stop()
			t.Fatalf("the Worker exited before listening (see stderr above; %s)", setupHint)
		}
		w.url = strings.TrimSuffix(u, "/")
	case <-time.After(60 * time.Second):
		w.stop()
		t.Fatal("the Worker did not listen within 60s")
	}
}

// stop kills the process group this test started: node and its workerd.
func (w *workerTarget) stop() {
	if w.cmd == nil {
		return
	}
	syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
	w.cmd.Wait()
	w.cmd = nil
}

func (w *workerTarget) URL() string { return w.url }

func (w *workerTarget) Restart(t testing.TB) {
	w.stop()
	w.start(t)
}

func (w *workerTarget) Advance(_ testing.TB, d time.Duration) { time.Sleep(d) }
