package apply

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/tofutest"
)

// slowConfig creates one resource, then one whose local-exec provisioner
// (built into OpenTofu) runs the sleeper the first time.
func slowConfig(s tofutest.Sleeper) string {
	return `
resource "terraform_data" "fast" {
  input = "made-before-the-interrupt"
}
resource "terraform_data" "slow" {
  input = terraform_data.fast.output
  provisioner "local-exec" {
    command = "test -e .provisioned || { touch .provisioned; ` + s.Command() + `; }"
  }
}
`
}

// TestStoppedRunLeavesNoProcess: a run stopped mid-apply (the wizard
// shutting down, or its lease lost) interrupts tofu, which writes the state
// of what it created, and nothing of its process group (here the
// provisioner's sleep) outlives the run; the step is not journalled.
func TestStoppedRunLeavesNoProcess(t *testing.T) {
	tofu := tofutest.Bin(t)
	dir := t.TempDir()
	sleeper := tofutest.NewSleeper()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(slowConfig(sleeper)), 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	r := runner(t, tofu, dir, &log)
	r.StopGrace = 10 * time.Second
	if err := r.Run(context.Background()); !errors.Is(err, ErrAwaitingApproval) {
		t.Fatalf("plan: %v\n%s", err, log.String())
	}
	if err := r.Approve(context.Background(), "admin"); err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	for sleeper.Running() == 0 { // the provisioner runs: tofu is mid-apply
		select {
		case err := <-done:
			t.Fatalf("apply ended before its provisioner ran: %v\n%s", err, log.String())
		case <-time.After(100 * time.Millisecond):
		}
	}
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) && (err == nil || !strings.Contains(err.Error(), "tofu apply")) {
		t.Fatalf("stopped run = %v, want the cancellation", err)
	}
	if !sleeper.Gone(5 * time.Second) {
		t.Fatalf("the provisioner's process outlived the run: %d left", sleeper.Running())
	}
	if _, err := os.Stat(filepath.Join(dir, PIDFile)); !os.IsNotExist(err) {
		t.Fatal("the PID file of a stopped tofu was kept")
	}
	records, _, _ := FileJournal{Dir: dir}.Load(context.Background())
	if got := stepsOf(records); got != "init,plan,approve,applying" {
		t.Fatalf("journal after the stop = %s, want apply not recorded", got)
	}
	var out bytes.Buffer
	r.Log = &out
	if err := r.tofu(context.Background(), "state", "list"); err != nil || !strings.Contains(out.String(), "terraform_data.fast") {
		t.Fatalf("state after the interrupt = %q, %v; want the resource made before it", out.String(), err)
	}

	// Resumed: the state moved on from the approved plan, so the runner
	// plans what is left and waits for a person again, then finishes.
	log.Reset()
	r.Log = &log
	if err := r.Run(context.Background()); !errors.Is(err, ErrAwaitingApproval) {
		t.Fatalf("resume after the interrupted apply = %v\n%s", err, log.String())
	}
	plan, err := r.Plan(context.Background())
	if err != nil || !strings.Contains(plan, "terraform_data.slow") || strings.Contains(plan, "terraform_data.fast will be created") {
		t.Fatalf("plan of what is left = %v\n%s", err, plan)
	}
	if err := r.Approve(context.Background(), "admin"); err != nil {
		t.Fatal(err)
	}
	if err := r.Run(context.Background()); err != nil {
		t.Fatalf("apply of what is left: %v\n%s", err, log.String())
	}
	records, _, _ = FileJournal{Dir: dir}.Load(context.Background())
	if got := stepsOf(records); got != "init,plan,approve,applying,replan,plan,approve,applying,apply" {
		t.Fatalf("journal = %s", got)
	}
}
