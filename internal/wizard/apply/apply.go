// Package apply is the wizard's managed apply: tofu init, plan, a human's
// approval of the plan, apply (and destroy), each step recorded in a
// Journal (the wizard's Store, shared by its replicas) so that a crash, a
// restart or a closed browser resumes from the last completed step, on
// this machine or another. The state is encrypted by
// OpenTofu's state encryption with the bootstrap's generated passphrase, so
// the wizard never keeps it readable.
package apply

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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

	// StepApplying is recorded as apply starts: found without StepApply,
	// the apply was interrupted and the state may have moved on from the
	// saved plan, which tofu would then refuse as stale.
	StepApplying Step = "applying"
	// StepReplan voids the plan and its approval: the runner plans again
	// and a person approves what is left to do.
	StepReplan Step = "replan"
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

// Journal records the completed steps durably, before the next starts. The
// wizard's is its Store, shared by replicas and guarded by a lease (Append
// fails once another replica has taken the apply over); FileJournal keeps
// them beside the configuration.
type Journal interface {
	// Load returns the completed steps and the saved plan (nil if none is
	// held apart from the work directory).
	Load(ctx context.Context) ([]Record, []byte, error)
	// Append records a step; plan is the saved plan after StepPlan, nil
	// otherwise.
	Append(ctx context.Context, r Record, plan []byte) error
}

// Done returns the completed steps; a replan undoes the plan, its
// approval and the apply it started.
func Done(records []Record) map[Step]bool {
	out := map[Step]bool{}
	for _, r := range records {
		if r.Step == StepReplan {
			delete(out, StepPlan)
			delete(out, StepApprove)
			delete(out, StepApplying)
			continue
		}
		out[r.Step] = true
	}
	return out
}

// JournalFile is FileJournal's file in the configuration's directory.
const JournalFile = ".catalyst-apply.json"

// PlanFile is the saved plan that approval refers to.
const PlanFile = "catalyst.tfplan"

// initMarker says this work directory was initialised: a journal's init
// may have run on another replica, whose .terraform is not here.
const initMarker = ".catalyst-initialised"

// FileJournal keeps the journal in Dir (one process; tests and tools).
type FileJournal struct{ Dir string }

type fileJournal struct {
	Records []Record `json:"records"`
}

// Load implements Journal.
func (f FileJournal) Load(context.Context) ([]Record, []byte, error) {
	data, err := os.ReadFile(filepath.Join(f.Dir, JournalFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var j fileJournal
	if err := json.Unmarshal(data, &j); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", JournalFile, err)
	}
	return j.Records, nil, nil
}

// Append implements Journal: temp, fsync, rename. The plan stays in Dir.
func (f FileJournal) Append(ctx context.Context, r Record, _ []byte) error {
	records, _, err := f.Load(ctx)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(fileJournal{Records: append(records, r)}, "", "  ")
	if err != nil {
		return err
	}
	return writeDurably(filepath.Join(f.Dir, JournalFile), data)
}

func writeDurably(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
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
	return os.Rename(tmp.Name(), path)
}

// ErrAwaitingApproval: the plan is ready; a person must approve it.
var ErrAwaitingApproval = errors.New("the plan awaits approval")

// Runner runs tofu in one configuration directory.
type Runner struct {
	Tofu string // path of the tofu binary
	Dir  string
	// Journal records the steps; nil is FileJournal{Dir}.
	Journal Journal
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
	// StopGrace is how long an interrupted tofu may take to stop cleanly
	// before it is killed (2 minutes by default).
	StopGrace time.Duration
}

func (r *Runner) stopGrace() time.Duration {
	if r.StopGrace > 0 {
		return r.StopGrace
	}
	return 2 * time.Minute
}

func (r *Runner) journal() Journal {
	if r.Journal == nil {
		return FileJournal{Dir: r.Dir}
	}
	return r.Journal
}

// record appends a step and tells OnStep.
func (r *Runner) record(ctx context.Context, rec Record, plan []byte) error {
	if err := r.journal().Append(ctx, rec, plan); err != nil {
		return fmt.Errorf("record %s: %w", rec.Step, err)
	}
	if r.OnStep != nil {
		r.OnStep(rec)
	}
	return nil
}

// local makes this work directory ready for the steps after those done,
// which may have run on another replica: tofu initialised here (init is
// repeatable; it is not journalled again) and the saved plan in place.
func (r *Runner) local(ctx context.Context, done map[Step]bool, plan []byte) error {
	if !done[StepInit] {
		return nil
	}
	if _, err := os.Stat(filepath.Join(r.Dir, initMarker)); errors.Is(err, os.ErrNotExist) {
		if err := r.exec(ctx, true, commands[StepInit]...); err != nil {
			return err
		}
		if err := writeDurably(filepath.Join(r.Dir, initMarker), nil); err != nil {
			return err
		}
	}
	if done[StepPlan] && !done[StepApply] && plan != nil {
		// The journal's plan is the approved one; this directory may hold
		// none, or an older one of its own.
		if onDisk, err := os.ReadFile(filepath.Join(r.Dir, PlanFile)); err != nil || !bytes.Equal(onDisk, plan) {
			return writeDurably(filepath.Join(r.Dir, PlanFile), plan)
		}
	}
	return nil
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
	// tofu leads its own process group (its providers and provisioners
	// are in it). A cancelled run interrupts it as Ctrl-C would, so it
	// finishes the operations in flight and writes the state; what is left
	// after the grace period is killed, and the group's leftovers always.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return signalGroup(cmd.Process.Pid, syscall.SIGINT) }
	cmd.WaitDelay = r.stopGrace()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("tofu %s: %w", args[0], err)
	}
	defer signalGroup(cmd.Process.Pid, syscall.SIGKILL)
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
		records, plan, err := r.journal().Load(ctx)
		if err != nil {
			return err
		}
		done := Done(records)
		if done[StepApplying] && !done[StepApply] {
			if err := r.record(ctx, Record{Step: StepReplan, At: r.Now()}, nil); err != nil {
				return err
			}
			continue
		}
		step := Next(done)
		switch step {
		case StepDone:
			return nil
		case StepApprove:
			return ErrAwaitingApproval
		}
		if err := r.local(ctx, done, plan); err != nil {
			return err
		}
		if step == StepApply {
			if err := r.record(ctx, Record{Step: StepApplying, At: r.Now()}, nil); err != nil {
				return err
			}
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
		var saved []byte
		switch step {
		case StepInit:
			if err := writeDurably(filepath.Join(r.Dir, initMarker), nil); err != nil {
				return err
			}
		case StepPlan: // encrypted by tofu's plan encryption
			if saved, err = os.ReadFile(filepath.Join(r.Dir, PlanFile)); err != nil {
				return err
			}
		}
		if err := r.record(ctx, Record{Step: step, At: r.Now()}, saved); err != nil {
			return err
		}
	}
}

// Plan returns the saved plan as text, for the approval page.
func (r *Runner) Plan(ctx context.Context) (string, error) {
	records, plan, err := r.journal().Load(ctx)
	if err != nil {
		return "", err
	}
	if err := r.local(ctx, Done(records), plan); err != nil {
		return "", err
	}
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
func (r *Runner) Approve(ctx context.Context, by string) error {
	records, _, err := r.journal().Load(ctx)
	if err != nil {
		return err
	}
	if next := Next(Done(records)); next != StepApprove {
		return fmt.Errorf("nothing to approve: the next step is %q", next)
	}
	return r.record(ctx, Record{Step: StepApprove, By: by, At: r.Now()}, nil)
}

// Destroy tears everything down; tofu destroys dependants before what they
// depend on. by is the person who asked for it.
func (r *Runner) Destroy(ctx context.Context, by string) error {
	records, plan, err := r.journal().Load(ctx)
	if err != nil {
		return err
	}
	done := Done(records)
	if !done[StepApply] {
		return errors.New("nothing was applied: there is nothing to destroy")
	}
	if done[StepDestroy] {
		return nil // a resumed destroy that had finished
	}
	if err := r.stopOrphan(); err != nil {
		return err
	}
	if err := r.local(ctx, done, plan); err != nil {
		return err
	}
	if r.OnStart != nil {
		r.OnStart(StepDestroy)
	}
	if err := r.exec(ctx, true, "destroy", "-input=false", "-no-color", "-auto-approve"); err != nil {
		return err
	}
	return r.record(ctx, Record{Step: StepDestroy, By: by, At: r.Now()}, nil)
}
