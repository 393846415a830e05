package witness_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/lease"
	"github.com/openova-io/openova/internal/witness"
	"github.com/openova-io/openova/internal/witness/conformance"
)

// TestBinaryShutdownAndCrash runs the real cmd/witness process: a grant
// survives a graceful SIGTERM (exit 0) and a SIGKILL.
func TestBinaryShutdownAndCrash(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "witness")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/openova-io/openova/cmd/witness").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data, credsFile := t.TempDir(), filepath.Join(t.TempDir(), "credentials.yaml")
	creds := "regions:\n  region-a: [\"" + witness.HashToken(conformance.Tokens["region-a"]) + "\"]\n"
	if err := os.WriteFile(credsFile, []byte(creds), 0o600); err != nil {
		t.Fatal(err)
	}
	start := func() (*exec.Cmd, *lease.Client) {
		cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--data-dir", data, "--credentials-file", credsFile)
		stderr, _ := cmd.StderrPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		addr := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stderr)
			for sc.Scan() {
				var line struct{ Msg, Addr string }
				if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "witness listening" {
					addr <- line.Addr
				}
			}
		}()
		select {
		case a := <-addr:
			c, err := lease.NewClient("http://"+a, conformance.Tokens["region-a"], nil)
			if err != nil {
				t.Fatal(err)
			}
			return cmd, c
		case <-time.After(30 * time.Second):
			t.Fatal("witness did not log its address within 30s")
		}
		return nil, nil
	}
	ctx := context.Background()
	cmd, c := start()
	if _, err := c.Acquire(ctx, "db", lease.AcquireRequest{Holder: "region-a", TTL: time.Minute}); err != nil {
		t.Fatal(err)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("SIGTERM: want a clean exit, got %v", err)
	}
	for _, stop := range []string{"after SIGTERM", "after SIGKILL"} {
		cmd, c = start()
		r, err := c.Read(ctx, "db")
		if err != nil || r.Lease.Status != lease.StatusHeld || r.Lease.Epoch != 1 {
			t.Fatalf("%s: want held at epoch 1, got %+v %v", stop, r.Lease, err)
		}
		cmd.Process.Kill()
		cmd.Wait()
	}
}
