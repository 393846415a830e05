package http

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/wizard"
	"github.com/openova-io/openova/internal/wizard/apply"
)

// Managed apply. The journal (steps, status, saved plan, event feed) is in
// the Store, shared by replicas; the replica running an apply holds its
// lease, renews it while tofu runs and gives it up when the run stops. A
// replica that dies stops renewing: once the lease has expired (by the
// database's clock) any replica resumes the apply, in its own work
// directory, from the last recorded step. The OpenTofu state itself is in
// the customer's archival S3 (the generated backend, locked with
// use_lockfile), never in a replica's directory.

// runFile marks a work directory whose configuration is written.
const runFile = ".catalyst-run.json"

type runMeta struct {
	OrgID       string `json:"orgID"`
	BootstrapID string `json:"bootstrapID"`
}

// TerraformConfig is the default ApplyConfig: the generated terraform/
// directory, whose state goes to the customer's archival S3 bucket.
func TerraformConfig(_ *wizard.Bootstrap, t *filetree.Tree) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, p := range t.Under("terraform") {
		data, _ := t.Get(p)
		out[strings.TrimPrefix(p, "terraform/")] = data
	}
	if len(out) == 0 {
		return nil, errors.New("the generated tree has no terraform/ directory")
	}
	return out, nil
}

// runs tracks this replica's running applies and wakes its event streams.
type runs struct {
	mu     sync.Mutex
	active map[string]bool
	wake   map[string]chan struct{}
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	loop   sync.Once
}

func newRuns() *runs {
	ctx, cancel := context.WithCancel(context.Background())
	return &runs{active: map[string]bool{}, wake: map[string]chan struct{}{}, ctx: ctx, cancel: cancel}
}

func runKey(b *wizard.Bootstrap) string { return b.OrgID + "/" + b.ID }

func (s *Server) workDir(b *wizard.Bootstrap) string {
	return filepath.Join(s.ApplyDir, b.OrgID+"-"+b.ID)
}

// woken returns a channel closed at the next local append to b's feed.
func (s *Server) woken(b *wizard.Bootstrap) <-chan struct{} {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	ch, ok := s.runs.wake[runKey(b)]
	if !ok {
		ch = make(chan struct{})
		s.runs.wake[runKey(b)] = ch
	}
	return ch
}

func (s *Server) wakeStreams(b *wizard.Bootstrap) {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	if ch, ok := s.runs.wake[runKey(b)]; ok {
		close(ch)
		delete(s.runs.wake, runKey(b))
	}
}

// storeFeed appends an apply's events to the Store, bounded.
type storeFeed struct {
	s *Server
	b *wizard.Bootstrap
}

func (f storeFeed) Append(evs ...apply.Event) error {
	rows := make([]*wizard.ApplyEvent, len(evs))
	for i, e := range evs {
		rows[i] = &wizard.ApplyEvent{Kind: e.Kind, Step: string(e.Step), By: e.By, Text: e.Text, At: e.At}
	}
	err := f.s.Store.AppendApplyEvents(context.Background(), f.b.OrgID, f.b.ID, rows, f.s.KeepLogLines)
	f.s.wakeStreams(f.b)
	return err
}

// storeJournal is apply.Journal on the Store, recording as this replica.
type storeJournal struct {
	s *Server
	b *wizard.Bootstrap
}

func (j storeJournal) Load(ctx context.Context) ([]apply.Record, []byte, error) {
	run, err := j.s.Store.ApplyRun(ctx, j.b.OrgID, j.b.ID)
	if wizard.ErrorCode(err) == wizard.ENOTFOUND {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return records(run), run.Plan, nil
}

func (j storeJournal) Append(ctx context.Context, r apply.Record, plan []byte) error {
	return j.s.Store.AppendApplyStep(ctx, j.b.OrgID, j.b.ID, j.s.ReplicaID,
		wizard.ApplyRecord{Step: string(r.Step), By: r.By, At: r.At}, plan)
}

func records(run *wizard.ApplyRun) []apply.Record {
	out := []apply.Record{}
	for _, st := range run.Steps {
		out = append(out, apply.Record{Step: apply.Step(st.Step), By: st.By, At: st.At})
	}
	return out
}

// runner builds a Runner with the held credentials unsealed into its
// environment; returns the secret values for redaction.
func (s *Server) runner(ctx context.Context, b *wizard.Bootstrap, dir string) (*apply.Runner, []string, error) {
	sealed, err := s.Store.Credentials(ctx, b.OrgID, b.ID)
	if err != nil {
		return nil, nil, err
	}
	if _, ok := sealed["state-passphrase"]; !ok {
		return nil, nil, wizard.Errorf(wizard.ECONFLICT, "generate the state passphrase on the credentials step first: it encrypts the OpenTofu state")
	}
	r := &apply.Runner{Tofu: s.Tofu, Dir: dir, Now: s.Now, Journal: storeJournal{s, b}}
	plain := map[string]string{}
	var vals []string
	for name, box := range sealed {
		v, err := s.Sealer.Open(box, sealContext(b, name))
		if err != nil {
			return nil, nil, fmt.Errorf("unseal %s: %w", name, err)
		}
		plain[name] = string(v)
		vals = append(vals, string(v))
	}
	r.Env, r.Passphrase = tofuEnv(plain)
	return r, vals, nil
}

// prepare writes the configuration into this replica's work directory
// once, or again when refresh is set (no plan made yet: the spec may have
// been fixed after a failed run). Generation is deterministic, so a replica
// resuming another's apply writes the same files; a saved plan carries its
// configuration.
func (s *Server) prepare(b *wizard.Bootstrap, dir string, refresh bool) error {
	if _, err := os.Stat(filepath.Join(dir, runFile)); err == nil && !refresh {
		return nil
	}
	_, errs, tree, err := s.generateTree(b)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return wizard.Errorf(wizard.EINVALID, "the spec has %d problem(s); fix them on the review page first", len(errs))
	}
	files, err := s.ApplyConfig(b, tree)
	if err != nil {
		return err
	}
	t := filetree.New()
	for p, data := range files {
		if err := t.Add(p, data); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if _, err := filetree.Write(t, dir); err != nil {
		return err
	}
	meta, _ := json.Marshal(runMeta{OrgID: b.OrgID, BootstrapID: b.ID})
	return writeFileAtomic(filepath.Join(dir, runFile), meta)
}

func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ensureRun creates b's journal row if it has none.
func (s *Server) ensureRun(ctx context.Context, b *wizard.Bootstrap) error {
	err := s.Store.CreateApplyRun(ctx, &wizard.ApplyRun{OrgID: b.OrgID, BootstrapID: b.ID, Created: s.Now()})
	if wizard.ErrorCode(err) == wizard.ECONFLICT {
		return nil
	}
	return err
}

// start runs fn in the background for b if this replica takes the apply's
// lease (false: it runs here or on another replica already). The lease is
// renewed while fn runs; losing it cancels fn's context, which kills tofu.
// fn returns the run's last event, appended once the lease is given up so
// that a client acting on it finds the apply free.
func (s *Server) start(ctx context.Context, b *wizard.Bootstrap, fn func(ctx context.Context) func()) (bool, error) {
	key := runKey(b)
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	if s.runs.active[key] {
		return false, nil
	}
	ok, err := s.Store.AcquireApplyLease(ctx, b.OrgID, b.ID, s.ReplicaID, s.ApplyLease)
	if err != nil || !ok {
		return false, err
	}
	s.runs.active[key] = true
	s.runs.wg.Add(1)
	go func() {
		defer s.runs.wg.Done()
		runCtx, cancel := context.WithCancel(s.runs.ctx)
		renewed := make(chan struct{})
		go func() {
			defer close(renewed)
			s.renew(runCtx, b, cancel)
		}()
		last := fn(runCtx)
		cancel()
		<-renewed
		if err := s.Store.ReleaseApplyLease(context.Background(), b.OrgID, b.ID, s.ReplicaID); err != nil {
			s.Logger.Error("release apply lease", "bootstrap", b.ID, "err", err)
		}
		s.runs.mu.Lock()
		delete(s.runs.active, key)
		s.runs.mu.Unlock()
		if last != nil {
			last()
		}
	}()
	return true, nil
}

// renew keeps the lease until ctx ends; a lease lost (taken over after a
// stall longer than its TTL) or unrenewable stops the run.
func (s *Server) renew(ctx context.Context, b *wizard.Bootstrap, stop context.CancelFunc) {
	t := time.NewTicker(s.ApplyLease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ok, err := s.Store.AcquireApplyLease(ctx, b.OrgID, b.ID, s.ReplicaID, s.ApplyLease)
		if ctx.Err() != nil {
			return
		}
		if err != nil || !ok {
			s.Logger.Error("apply lease lost: stopping this replica's run", "bootstrap", b.ID, "err", err)
			stop()
			return
		}
	}
}

// execute carries out the remaining steps (or destroy) and feeds events.
func (s *Server) execute(ctx context.Context, b *wizard.Bootstrap, destroyBy string) func() {
	feed := storeFeed{s, b}
	final := func(status string) func() {
		return func() {
			if err := s.Store.SetApplyStatus(context.Background(), b.OrgID, b.ID, status, ""); err != nil {
				s.Logger.Error("apply status", "bootstrap", b.ID, "err", err)
			}
			feed.Append(apply.Event{Kind: apply.EventStatus, Text: status, At: s.Now()})
		}
	}
	dir := s.workDir(b)
	if err := s.prepare(b, dir, false); err != nil {
		return final("failed: " + err.Error())
	}
	r, secretVals, err := s.runner(ctx, b, dir)
	if err != nil {
		return final("failed: " + err.Error())
	}
	var current apply.Step
	lw := &apply.LineWriter{Feed: feed, Secrets: secretVals, Now: s.Now, Step: func() apply.Step { return current }}
	r.Log = lw
	r.OnStart = func(st apply.Step) { current = st }
	r.OnStep = func(rec apply.Record) {
		feed.Append(apply.Event{Kind: apply.EventStep, Step: rec.Step, By: rec.By, At: rec.At})
	}
	feed.Append(apply.Event{Kind: apply.EventStatus, Text: "running", At: s.Now()})
	if destroyBy != "" {
		err = r.Destroy(ctx, destroyBy)
	} else {
		err = r.Run(ctx)
	}
	lw.Flush()
	switch {
	case errors.Is(err, apply.ErrAwaitingApproval):
		return final("awaiting-approval")
	case ctx.Err() != nil:
		return nil // stopping, or the lease was lost: the journal says where to resume
	case err != nil:
		return final("failed: " + err.Error())
	case destroyBy != "":
		return final("destroyed")
	default:
		return final("done")
	}
}

// Resume continues every apply whose status is running and whose lease is
// free or expired, now and then every lease period until Close: a
// restarted wizard, or a surviving replica, finishes what a dead one
// started. A plan awaiting approval stays waiting.
func (s *Server) Resume(ctx context.Context) error {
	if s.ApplyDir == "" || s.Tofu == "" {
		return nil
	}
	err := s.resumeOnce(ctx)
	s.runs.loop.Do(func() {
		s.runs.wg.Add(1)
		go func() {
			defer s.runs.wg.Done()
			t := time.NewTicker(s.ApplyLease)
			defer t.Stop()
			for {
				select {
				case <-s.runs.ctx.Done():
					return
				case <-t.C:
					if err := s.resumeOnce(s.runs.ctx); err != nil && s.runs.ctx.Err() == nil {
						s.Logger.Error("resume applies", "err", err)
					}
				}
			}
		}()
	})
	return err
}

func (s *Server) resumeOnce(ctx context.Context) error {
	runs, err := s.Store.ResumableApplyRuns(ctx)
	if err != nil {
		return err
	}
	for _, run := range runs {
		b, err := s.Store.Bootstrap(ctx, run.OrgID, run.BootstrapID)
		if err != nil {
			s.Logger.Warn("apply to resume has no bootstrap", "bootstrap", run.BootstrapID, "err", err)
			continue
		}
		destroyBy := ""
		if run.Status == wizard.ApplyDestroying {
			destroyBy = run.RequestedBy
		}
		if _, err := s.start(ctx, b, func(ctx context.Context) func() { return s.execute(ctx, b, destroyBy) }); err != nil {
			return err
		}
	}
	return nil
}

// Close stops this replica's applies (tofu is killed; completed steps are
// journalled, the leases given up for another replica) and waits for them.
func (s *Server) Close() {
	s.runs.cancel()
	s.runs.wg.Wait()
}

func (s *Server) applyEnabled(w http.ResponseWriter, r *http.Request) (*wizard.Bootstrap, bool) {
	if s.ApplyDir == "" || s.Tofu == "" {
		s.fail(w, r, wizard.Errorf(wizard.ECONFLICT, "managed apply is off: start catalyst bootstrap with --tofu (and a --data-dir)"))
		return nil, false
	}
	b, err := s.load(r)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return b, true
}

// applyStatus is GET .../apply and the answer of every apply call.
type applyStatus struct {
	Running bool           `json:"running"`
	Next    string         `json:"next"`
	Status  string         `json:"status"`
	Steps   []apply.Record `json:"steps"`
	Plan    string         `json:"plan,omitempty"`
}

// run is b's journal; an apply never started has an empty one.
func (s *Server) run(ctx context.Context, b *wizard.Bootstrap) (*wizard.ApplyRun, error) {
	run, err := s.Store.ApplyRun(ctx, b.OrgID, b.ID)
	if wizard.ErrorCode(err) == wizard.ENOTFOUND {
		return &wizard.ApplyRun{OrgID: b.OrgID, BootstrapID: b.ID}, nil
	}
	return run, err
}

func (s *Server) status(ctx context.Context, b *wizard.Bootstrap, withPlan bool) (*applyStatus, error) {
	run, err := s.run(ctx, b)
	if err != nil {
		return nil, err
	}
	recs := records(run)
	done := apply.Done(recs)
	st := &applyStatus{Running: run.Holder != "", Next: string(apply.Next(done)), Status: run.Status, Steps: recs}
	if done[apply.StepDestroy] {
		st.Next = "destroyed"
	} else if st.Next == "" {
		st.Next = "done"
	}
	if withPlan && st.Next == string(apply.StepApprove) {
		dir := s.workDir(b)
		if err := s.prepare(b, dir, false); err != nil {
			return nil, err
		}
		r, _, err := s.runner(ctx, b, dir)
		if err != nil {
			return nil, err
		}
		if st.Plan, err = r.Plan(ctx); err != nil {
			return nil, err
		}
	}
	return st, nil
}

func (s *Server) startApply(w http.ResponseWriter, r *http.Request) {
	b, ok := s.applyEnabled(w, r)
	if !ok {
		return
	}
	if b.Status == wizard.StatusCompleted {
		s.fail(w, r, wizard.Errorf(wizard.ECONFLICT, "bootstrap %s is completed: its credentials are wiped", b.ID))
		return
	}
	if _, _, err := s.runner(r.Context(), b, s.workDir(b)); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.ensureRun(r.Context(), b); err != nil {
		s.fail(w, r, err)
		return
	}
	run, err := s.run(r.Context(), b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	refresh := !apply.Done(records(run))[apply.StepPlan] && !s.running(b)
	if err := s.prepare(b, s.workDir(b), refresh); err != nil {
		s.fail(w, r, err)
		return
	}
	// Resumable from now on, by this replica or another.
	if next := apply.Next(apply.Done(records(run))); next != apply.StepApprove && next != apply.StepDone {
		if err := s.Store.SetApplyStatus(r.Context(), b.OrgID, b.ID, wizard.ApplyRunning, who(r).user.Name); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if _, err := s.start(r.Context(), b, func(ctx context.Context) func() { return s.execute(ctx, b, "") }); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), who(r), "apply.start", b.ID)
	s.answerStatus(w, r, b, http.StatusAccepted)
}

func (s *Server) answerStatus(w http.ResponseWriter, r *http.Request, b *wizard.Bootstrap, code int) {
	st, err := s.status(r.Context(), b, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, code, st)
}

func (s *Server) getApply(w http.ResponseWriter, r *http.Request) {
	b, ok := s.applyEnabled(w, r)
	if !ok {
		return
	}
	st, err := s.status(r.Context(), b, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// approveApply records a person's approval under the apply's lease, then
// runs the apply.
func (s *Server) approveApply(w http.ResponseWriter, r *http.Request) {
	b, ok := s.applyEnabled(w, r)
	if !ok {
		return
	}
	rn, _, err := s.runner(r.Context(), b, s.workDir(b))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.ensureRun(r.Context(), b); err != nil {
		s.fail(w, r, err)
		return
	}
	held, err := s.Store.AcquireApplyLease(r.Context(), b.OrgID, b.ID, s.ReplicaID, s.ApplyLease)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !held || s.running(b) {
		s.fail(w, r, wizard.Errorf(wizard.ECONFLICT, "a run of bootstrap %s is in progress; wait for it to finish", b.ID))
		return
	}
	feed := storeFeed{s, b}
	rn.OnStep = func(rec apply.Record) {
		feed.Append(apply.Event{Kind: apply.EventStep, Step: rec.Step, By: rec.By, At: rec.At})
	}
	if err := rn.Approve(r.Context(), who(r).user.Name); err != nil {
		s.Store.ReleaseApplyLease(r.Context(), b.OrgID, b.ID, s.ReplicaID)
		s.fail(w, r, wizard.Errorf(wizard.ECONFLICT, "%v", err))
		return
	}
	s.audit(r.Context(), who(r), "apply.approve", b.ID)
	if err := s.Store.SetApplyStatus(r.Context(), b.OrgID, b.ID, wizard.ApplyRunning, who(r).user.Name); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.start(r.Context(), b, func(ctx context.Context) func() { return s.execute(ctx, b, "") }); err != nil {
		s.fail(w, r, err)
		return
	}
	s.answerStatus(w, r, b, http.StatusAccepted)
}

// applyIdle is ECONFLICT while b's apply runs on any replica or waits to
// be resumed: completing or deleting b then would take the credentials
// (or the journal) from under it.
func (s *Server) applyIdle(ctx context.Context, b *wizard.Bootstrap) error {
	run, err := s.run(ctx, b)
	if err != nil {
		return err
	}
	if run.Holder != "" || run.Status == wizard.ApplyRunning || run.Status == wizard.ApplyDestroying {
		return wizard.Errorf(wizard.ECONFLICT, "a managed apply of bootstrap %s is running; wait for it to finish (its page shows the progress)", b.ID)
	}
	return nil
}

func (s *Server) running(b *wizard.Bootstrap) bool {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	return s.runs.active[runKey(b)]
}

func (s *Server) destroy(w http.ResponseWriter, r *http.Request) {
	b, ok := s.applyEnabled(w, r)
	if !ok {
		return
	}
	run, err := s.run(r.Context(), b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if done := apply.Done(records(run)); !done[apply.StepApply] || done[apply.StepDestroy] {
		s.fail(w, r, wizard.Errorf(wizard.ECONFLICT, "nothing applied to destroy"))
		return
	}
	if _, _, err := s.runner(r.Context(), b, s.workDir(b)); err != nil {
		s.fail(w, r, err)
		return
	}
	// Taken before the status says destroying, so a refused request
	// changes nothing; the status makes the destroy resumable.
	held, err := s.Store.AcquireApplyLease(r.Context(), b.OrgID, b.ID, s.ReplicaID, s.ApplyLease)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !held || s.running(b) {
		s.fail(w, r, wizard.Errorf(wizard.ECONFLICT, "a run is in progress; wait for it to finish"))
		return
	}
	by := who(r).user.Name
	if err := s.Store.SetApplyStatus(r.Context(), b.OrgID, b.ID, wizard.ApplyDestroying, by); err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := s.start(r.Context(), b, func(ctx context.Context) func() { return s.execute(ctx, b, by) }); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), who(r), "apply.destroy", b.ID)
	s.answerStatus(w, r, b, http.StatusAccepted)
}

// applyEvents streams the feed as server-sent events. Last-Event-ID (or
// ?after=) resumes after an event, also on another replica or after a
// restart. Appends on this replica wake the stream; another replica's are
// seen at the next poll.
func (s *Server) applyEvents(w http.ResponseWriter, r *http.Request) {
	b, ok := s.applyEnabled(w, r)
	if !ok {
		return
	}
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("after")
	}
	after, _ := strconv.ParseInt(last, 10, 64)
	fl, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: stream, do not buffer
	w.WriteHeader(http.StatusOK)
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	poll := time.NewTicker(time.Second)
	defer poll.Stop()
	for {
		wake := s.woken(b)
		evs, err := s.Store.ApplyEvents(r.Context(), b.OrgID, b.ID, after, 500)
		if err != nil {
			return
		}
		for _, e := range evs {
			data, _ := json.Marshal(apply.Event{ID: e.ID, Kind: e.Kind, Step: apply.Step(e.Step), By: e.By, Text: e.Text, At: e.At})
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.ID, e.Kind, data)
			after = e.ID
		}
		if fl != nil {
			fl.Flush()
		}
		if len(evs) == 500 {
			continue // more to send
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.runs.ctx.Done():
			return
		case <-wake:
		case <-poll.C:
		case <-keepalive.C:
			fmt.Fprint(w, ": keepalive\n\n")
		}
	}
}
