// Package apply is the wizard's managed apply: tofu init, plan, a human's
// approval of the plan, apply (and destroy), each step recorded in a
// journal beside the configuration so that a crash, a restart or a closed
// browser resumes from the last completed step. The state is encrypted by
// OpenTofu's state encryption with the bootstrap's generated passphrase, so
// the wizard never keeps it readable.
package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Step is one recorded stage of an apply.
type Step string

// Steps, in order. Approve is a person's decision, not a command.
const (
	StepInit    Step = "init"
	StepPlan    Step = "plan"
	StepApprove Step = "approve"
	StepApply   Step = "apply"
	StepDestroy Step = "destroy"
	StepDone    Step = "" // nothing left to do
)

// Next is the step to run after the completed ones: the pure decision the
// runner carries out.
func Next(done map[Step]bool) Step {
	for _, s := range []Step{StepInit, StepPlan, StepApprove, StepApply} {
		if !done[s] {
			return s
		}
	}
	return StepDone
}

// Record is one journal entry.
type Record struct {
	Step Step      `json:"step"`
	By   string    `json:"by,omitempty"` // who approved
	At   time.Time `json:"at"`
}

// JournalFile sits in the configuration's directory.
const JournalFile = ".catalyst-apply.json"

// PlanFile is the saved plan that approval refers to.
const PlanFile = "catalyst.tfplan"

// Journal lists the completed steps.
type Journal struct {
	Records []Record `json:"records"`
}

// Done returns the completed steps.
func (j *Journal) Done() map[Step]bool {
	out := map[Step]bool{}
	for _, r := range j.Records {
		out[r.Step] = true
	}
	return out
}

// LoadJournal reads dir's journal; none yet is an empty journal.
func LoadJournal(dir string) (*Journal, error) {
	data, err := os.ReadFile(filepath.Join(dir, JournalFile))
	if errors.Is(err, os.ErrNotExist) {
		return &Journal{}, nil
	}
	if err != nil {
		return nil, err
	}
	var j Journal
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, fmt.Errorf("%s: %w", JournalFile, err)
	}
	return &j, nil
}

// record appends a step and writes the journal durably (temp, fsync,
// rename) before the next step starts.
func record(dir string, j *Journal, r Record) error {
	j.Records = append(j.Records, r)
	data, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".journal-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, JournalFile))
}

// ErrAwaitingApproval: the plan is ready; a person must approve it.
var ErrAwaitingApproval = errors.New("the plan awaits approval")

// Runner runs tofu in one configuration directory.
type Runner struct {
	Tofu string // path of the tofu binary
	Dir  string
	// Passphrase encrypts the state and the plan (at least 16 characters).
	Passphrase string
	// Env are extra variables, e.g. TF_VAR_hcloud_token; never logged.
	Env []string
	Now func() time.Time
	// Log receives tofu's output, streamed to the browser.
	Log io.Writer
	// OnStep is told of each step as it completes (the SSE feed).
	OnStep func(Record)
	// OnStart is told of each command step as it starts.
	OnStart func(Step)
}

// encryption is OpenTofu's state and plan encryption configuration.
func (r *Runner) encryption() string {
	return fmt.Sprintf(`key_provider "pbkdf2" "wizard" { passphrase = %q }
method "aes_gcm" "wizard" { keys = key_provider.pbkdf2.wizard }
state {
  method   = method.aes_gcm.wizard
  enforced = true
}
plan {
  method   = method.aes_gcm.wizard
  enforced = true
}
`, r.Passphrase)
}

func (r *Runner) tofu(ctx context.Context, args ...string) error { return r.exec(ctx, false, args...) }

// exec runs tofu; tracked runs (the state-writing steps) record its PID
// for stopOrphan.
func (r *Runner) exec(ctx context.Context, tracked bool, args ...string) error {
	cmd := exec.CommandContext(ctx, r.Tofu, args...)
	cmd.Dir = r.Dir
	cmd.Env = append(append(os.Environ(), "TF_IN_AUTOMATION=1", "TF_INPUT=0", "TF_ENCRYPTION="+r.encryption()), r.Env...)
	cmd.Stdout, cmd.Stderr = r.Log, r.Log
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("tofu %s: %w", args[0], err)
	}
	if tracked {
		if err := r.writePID(cmd.Process.Pid); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			return err
		}
		defer r.clearPID()
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("tofu %s: %w", args[0], err)
	}
	return nil
}

var commands = map[Step][]string{
	StepInit:  {"init", "-input=false", "-no-color"},
	StepPlan:  {"plan", "-input=false", "-no-color", "-out=" + PlanFile},
	StepApply: {"apply", "-input=false", "-no-color", PlanFile},
}

// Run carries out the remaining steps. It stops with ErrAwaitingApproval
// after the plan until Approve is called, and returns nil when applied.
func (r *Runner) Run(ctx context.Context) error {
	if len(r.Passphrase) < 16 {
		return errors.New("the state passphrase must be at least 16 characters")
	}
	if err := r.stopOrphan(); err != nil {
		return err
	}
	for {
		j, err := LoadJournal(r.Dir)
		if err != nil {
			return err
		}
		step := Next(j.Done())
		switch step {
		case StepDone:
			return nil
		case StepApprove:
			return ErrAwaitingApproval
		}
		if r.OnStart != nil {
			r.OnStart(step)
		}
		if err := r.exec(ctx, true, commands[step]...); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil { // killed mid-step: not completed
			return err
		}
		rec := Record{Step: step, At: r.Now()}
		if err := record(r.Dir, j, rec); err != nil {
			return fmt.Errorf("record %s: %w", step, err)
		}
		if r.OnStep != nil {
			r.OnStep(rec)
		}
	}
}

// Plan returns the saved plan as text, for the approval page.
func (r *Runner) Plan(ctx context.Context) (string, error) {
	var b strings.Builder
	saved := r.Log
	r.Log = &b
	defer func() { r.Log = saved }()
	if err := r.tofu(ctx, "show", "-no-color", PlanFile); err != nil {
		return "", err
	}
	return b.String(), nil
}

// Approve records a person's approval of the saved plan.
func (r *Runner) Approve(by string) error {
	j, err := LoadJournal(r.Dir)
	if err != nil {
		return err
	}
	if Next(j.Done()) != StepApprove {
		return fmt.Errorf("nothing to approve: the next step is %q", Next(j.Done()))
	}
	rec := Record{Step: StepApprove, By: by, At: r.Now()}
	if err := record(r.Dir, j, rec); err != nil {
		return err
	}
	if r.OnStep != nil {
		r.OnStep(rec)
	}
	return nil
}

// Destroy tears everything down; tofu destroys dependants before what they
// depend on. It needs an approval recorded by ApproveDestroy first.
func (r *Runner) Destroy(ctx context.Context, by string) error {
	j, err := LoadJournal(r.Dir)
	if err != nil {
		return err
	}
	if !j.Done()[StepApply] {
		return errors.New("nothing was applied: there is nothing to destroy")
	}
	if r.OnStart != nil {
		r.OnStart(StepDestroy)
	}
	if err := r.stopOrphan(); err != nil {
		return err
	}
	if err := r.exec(ctx, true, "destroy", "-input=false", "-no-color", "-auto-approve"); err != nil {
		return err
	}
	rec := Record{Step: StepDestroy, By: by, At: r.Now()}
	if err := record(r.Dir, j, rec); err != nil {
		return err
	}
	if r.OnStep != nil {
		r.OnStep(rec)
	}
	return nil
}
