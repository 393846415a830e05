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

func TestNext(t *testing.T) {
	for _, tc := range []struct {
		done []Step
		want Step
	}{
		{nil, StepInit},
		{[]Step{StepInit}, StepPlan},
		{[]Step{StepInit, StepPlan}, StepApprove},
		{[]Step{StepInit, StepPlan, StepApprove}, StepApply},
		{[]Step{StepInit, StepPlan, StepApprove, StepApply}, StepDone},
	} {
		done := map[Step]bool{}
		for _, s := range tc.done {
			done[s] = true
		}
		if got := Next(done); got != tc.want {
			t.Errorf("Next(%v) = %q, want %q", tc.done, got, tc.want)
		}
	}
}

// config uses only OpenTofu's built-in terraform_data, so it runs here
// with no provider download and no cloud.
const config = `
resource "terraform_data" "network" {
  input = "net-PLAINTEXT-MARKER"
}
resource "terraform_data" "cluster" {
  input            = "cluster-on-${terraform_data.network.output}"
  triggers_replace = [terraform_data.network.id]
}
output "cluster" {
  value = terraform_data.cluster.output
}
`

func runner(t *testing.T, tofu, dir string, log *bytes.Buffer) *Runner {
	return &Runner{Tofu: tofu, Dir: dir, Passphrase: "a-generated-passphrase-0123456789", Log: log,
		Now: func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) },
		Env: []string{"TF_PLUGIN_CACHE_DIR=", "CHECKPOINT_DISABLE=1"}}
}

// TestCrashBetweenStepsResumes: the wizard dies after init; a new process
// resumes with plan (init is not run again), waits for approval across a
// restart, applies, and the state on disk is encrypted.
func TestCrashBetweenStepsResumes(t *testing.T) {
	tofu := tofutest.Bin(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	var log1 bytes.Buffer
	ctx, crash := context.WithCancel(context.Background())
	r1 := runner(t, tofu, dir, &log1)
	r1.OnStep = func(rec Record) {
		if rec.Step == StepInit {
			crash() // the process dies right after init is recorded
		}
	}
	if err := r1.Run(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("first run = %v, want the crash", err)
	}

	var log2 bytes.Buffer
	r2 := runner(t, tofu, dir, &log2)
	if err := r2.Run(context.Background()); !errors.Is(err, ErrAwaitingApproval) {
		t.Fatalf("resumed run = %v\n%s", err, log2.String())
	}
	if strings.Contains(log2.String(), "Initializing") {
		t.Fatal("the resumed run ran init again")
	}
	plan, err := r2.Plan(context.Background())
	if err != nil || !strings.Contains(plan, "2 to add") {
		t.Fatalf("plan shown for approval = %v\n%s", err, plan)
	}

	var log3 bytes.Buffer
	r3 := runner(t, tofu, dir, &log3) // another restart, then a person approves
	if err := r3.Approve(context.Background(), "admin"); err != nil {
		t.Fatal(err)
	}
	if err := r3.Approve(context.Background(), "admin"); err == nil {
		t.Fatal("a second approval was accepted")
	}
	var seen []Step
	r3.OnStep = func(rec Record) { seen = append(seen, rec.Step) }
	if err := r3.Run(context.Background()); err != nil {
		t.Fatalf("apply: %v\n%s", err, log3.String())
	}
	if len(seen) != 2 || seen[0] != StepApplying || seen[1] != StepApply {
		t.Fatalf("steps run after approval = %v, want [applying apply]", seen)
	}
	records, _, _ := FileJournal{Dir: dir}.Load(context.Background())
	if stepsOf(records) != "init,plan,approve,applying,apply" || records[2].By != "admin" {
		t.Fatalf("journal = %v", records)
	}
	state, err := os.ReadFile(filepath.Join(dir, "terraform.tfstate"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(state, []byte("PLAINTEXT-MARKER")) || !bytes.Contains(state, []byte("encrypted_data")) {
		t.Fatalf("state on disk is readable:\n%.300s", state)
	}
	if err := r3.Run(context.Background()); err != nil {
		t.Fatalf("a run after completion = %v, want nothing to do", err)
	}

	var out bytes.Buffer
	r3.Log = &out
	if err := r3.tofu(context.Background(), "output", "-raw", "cluster"); err != nil || !strings.HasSuffix(out.String(), "cluster-on-net-PLAINTEXT-MARKER") {
		t.Fatalf("output with the passphrase = %q, %v", out.String(), err)
	}
	bad := runner(t, tofu, dir, &bytes.Buffer{})
	bad.Passphrase = "another-passphrase-entirely"
	if err := bad.tofu(context.Background(), "output", "-raw", "cluster"); err == nil {
		t.Fatal("the state opened with another passphrase")
	}

	if err := r3.Destroy(context.Background(), "admin"); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out.String())
	}
	out.Reset()
	if err := r3.tofu(context.Background(), "state", "list"); err != nil || strings.Contains(out.String(), "terraform_data") {
		t.Fatalf("resources left after destroy: %q, %v", out.String(), err)
	}
}

func TestShortPassphraseRefused(t *testing.T) {
	r := &Runner{Tofu: "tofu", Dir: t.TempDir(), Passphrase: "short"}
	if err := r.Run(context.Background()); err == nil {
		t.Fatal("a short passphrase was accepted")
	}
}

func stepsOf(records []Record) string {
	var steps []string
	for _, r := range records {
		steps = append(steps, string(r.Step))
	}
	return strings.Join(steps, ",")
}

// memJournal is a journal shared by runners in different directories, as
// the wizard's Store is shared by replicas (the Store itself is tested by
// storetest against the real databases).
type memJournal struct {
	records []Record
	plan    []byte
}

func (m *memJournal) Load(context.Context) ([]Record, []byte, error) { return m.records, m.plan, nil }
func (m *memJournal) Append(_ context.Context, r Record, plan []byte) error {
	m.records = append(m.records, r)
	if plan != nil {
		m.plan = plan
	}
	return nil
}

// TestAnotherReplicaResumes: one replica inits and plans, then dies with
// its disk; another, with only the shared journal and the configuration,
// shows the saved plan, is approved and applies it, without journalling
// init again (it initialises its own directory).
func TestAnotherReplicaResumes(t *testing.T) {
	tofu := tofutest.Bin(t)
	j := &memJournal{}
	dirA, dirB := t.TempDir(), t.TempDir()
	for _, d := range []string{dirA, dirB} {
		if err := os.WriteFile(filepath.Join(d, "main.tf"), []byte(config), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var logA bytes.Buffer
	a := runner(t, tofu, dirA, &logA)
	a.Journal = j
	if err := a.Run(context.Background()); !errors.Is(err, ErrAwaitingApproval) {
		t.Fatalf("replica A = %v\n%s", err, logA.String())
	}
	if len(j.plan) == 0 || bytes.Contains(j.plan, []byte("PLAINTEXT-MARKER")) {
		t.Fatalf("journalled plan: %d bytes, readable %v; want the plan, encrypted", len(j.plan), bytes.Contains(j.plan, []byte("PLAINTEXT-MARKER")))
	}

	var logB bytes.Buffer
	b := runner(t, tofu, dirB, &logB)
	b.Journal = j
	plan, err := b.Plan(context.Background())
	if err != nil || !strings.Contains(plan, "2 to add") {
		t.Fatalf("replica B shows the plan: %v\n%s\n%s", err, plan, logB.String())
	}
	if err := b.Approve(context.Background(), "admin"); err != nil {
		t.Fatal(err)
	}
	if err := b.Run(context.Background()); err != nil {
		t.Fatalf("replica B applies: %v\n%s", err, logB.String())
	}
	if got := stepsOf(j.records); got != "init,plan,approve,applying,apply" {
		t.Fatalf("journal = %s", got)
	}
	var out bytes.Buffer
	b.Log = &out
	if err := b.tofu(context.Background(), "output", "-raw", "cluster"); err != nil || !strings.HasSuffix(out.String(), "cluster-on-net-PLAINTEXT-MARKER") {
		t.Fatalf("replica B's applied output = %q, %v", out.String(), err)
	}
}
