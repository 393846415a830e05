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

// runFile names the bootstrap a work directory belongs to, so a restarted
// wizard can resume it.
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

// runs tracks this replica's running applies and each directory's feed.
type runs struct {
	mu      sync.Mutex
	active  map[string]bool
	logs    map[string]*apply.EventLog
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	started bool
}

func newRuns() *runs {
	ctx, cancel := context.WithCancel(context.Background())
	return &runs{active: map[string]bool{}, logs: map[string]*apply.EventLog{}, ctx: ctx, cancel: cancel}
}

func (s *Server) workDir(b *wizard.Bootstrap) string {
	return filepath.Join(s.ApplyDir, b.OrgID+"-"+b.ID)
}

func (s *Server) eventLog(dir string) (*apply.EventLog, error) {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	if l, ok := s.runs.logs[dir]; ok {
		return l, nil
	}
	l, err := apply.OpenEventLog(dir)
	if err != nil {
		return nil, err
	}
	s.runs.logs[dir] = l
	return l, nil
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
	r := &apply.Runner{Tofu: s.Tofu, Dir: dir, Now: s.Now}
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

// prepare writes the configuration once: a directory with a journal is
// resumed as it is, since an approved plan refers to exactly that
// configuration.
func (s *Server) prepare(b *wizard.Bootstrap, dir string) error {
	if _, err := os.Stat(filepath.Join(dir, runFile)); err == nil {
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

// start runs fn in the background for dir unless a run is already active
// on this replica. fn gets the runs' context, cancelled by Close, and
// returns the run's last event, appended once the run is no longer active
// so that a client acting on it finds the directory free.
func (s *Server) start(dir string, fn func(ctx context.Context) func()) bool {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	if s.runs.active[dir] {
		return false
	}
	s.runs.active[dir] = true
	s.runs.wg.Add(1)
	go func() {
		defer s.runs.wg.Done()
		last := fn(s.runs.ctx)
		s.runs.mu.Lock()
		delete(s.runs.active, dir)
		s.runs.mu.Unlock()
		if last != nil {
			last()
		}
	}()
	return true
}

func (s *Server) running(dir string) bool {
	s.runs.mu.Lock()
	defer s.runs.mu.Unlock()
	return s.runs.active[dir]
}

// execute carries out the remaining steps (or destroy) and feeds events.
func (s *Server) execute(ctx context.Context, b *wizard.Bootstrap, dir string, destroyBy string) func() {
	log, err := s.eventLog(dir)
	if err != nil {
		s.Logger.Error("apply feed", "bootstrap", b.ID, "err", err)
		return nil
	}
	final := func(text string) func() {
		return func() { log.Append(apply.Event{Kind: apply.EventStatus, Text: text, At: s.Now()}) }
	}
	r, secretVals, err := s.runner(ctx, b, dir)
	if err != nil {
		return final("failed: " + err.Error())
	}
	var current apply.Step
	lw := &apply.LineWriter{Log: log, Secrets: secretVals, Now: s.Now, Step: func() apply.Step { return current }}
	r.Log = lw
	r.OnStart = func(st apply.Step) { current = st }
	r.OnStep = func(rec apply.Record) {
		log.Append(apply.Event{Kind: apply.EventStep, Step: rec.Step, By: rec.By, At: rec.At})
	}
	log.Append(apply.Event{Kind: apply.EventStatus, Text: "running", At: s.Now()})
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
		return nil // the wizard is stopping: the journal says where to resume
	case err != nil:
		return final("failed: " + err.Error())
	case destroyBy != "":
		return final("destroyed")
	default:
		return final("done")
	}
}

// Resume continues every apply whose journal says a command step is next:
// a restarted wizard finishes what a crashed one started. A plan awaiting
// approval stays waiting.
func (s *Server) Resume(ctx context.Context) error {
	if s.ApplyDir == "" {
		return nil
	}
	metas, err := filepath.Glob(filepath.Join(s.ApplyDir, "*", runFile))
	if err != nil {
		return err
	}
	for _, m := range metas {
		data, err := os.ReadFile(m)
		if err != nil {
			return err
		}
		var meta runMeta
		if err := json.Unmarshal(data, &meta); err != nil {
			return fmt.Errorf("%s: %w", m, err)
		}
		dir := filepath.Dir(m)
		j, err := apply.LoadJournal(dir)
		if err != nil {
			return err
		}
		done := j.Done()
		if next := apply.Next(done); next == apply.StepApprove || next == apply.StepDone || done[apply.StepDestroy] {
			continue
		}
		b, err := s.Store.Bootstrap(ctx, meta.OrgID, meta.BootstrapID)
		if err != nil {
			s.Logger.Warn("apply to resume has no bootstrap", "dir", dir, "err", err)
			continue
		}
		s.start(dir, func(ctx context.Context) func() { return s.execute(ctx, b, dir, "") })
	}
	return nil
}

// Close stops the running applies (tofu is killed; completed steps are
// journalled) and waits for them.
func (s *Server) Close() {
	s.runs.cancel()
	s.runs.wg.Wait()
}

func (s *Server) applyEnabled(w http.ResponseWriter, r *http.Request) (*wizard.Bootstrap, string, bool) {
	if s.ApplyDir == "" || s.Tofu == "" {
		s.fail(w, r, wizard.Errorf(wizard.ECONFLICT, "managed apply is off: start catalyst bootstrap with --tofu (and a --data-dir)"))
		return nil, "", false
	}
	b, err := s.load(r)
	if err != nil {
		s.fail(w, r, err)
		return nil, "", false
	}
	return b, s.workDir(b), true
}

// applyStatus is GET .../apply and the answer of every apply call.
type applyStatus struct {
	Running bool           `json:"running"`
	Next    string         `json:"next"`
	Steps   []apply.Record `json:"steps"`
	Plan    string         `json:"plan,omitempty"`
}

func (s *Server) status(ctx context.Context, b *wizard.Bootstrap, dir string, withPlan bool) (*applyStatus, error) {
	j, err := apply.LoadJournal(dir)
	if err != nil {
		return nil, err
	}
	s.runs.mu.Lock()
	st := &applyStatus{Running: s.runs.active[dir], Next: string(apply.Next(j.Done())), Steps: j.Records}
	s.runs.mu.Unlock()
	if j.Done()[apply.StepDestroy] {
		st.Next = "destroyed"
	} else if st.Next == "" {
		st.Next = "done"
	}
	if st.Steps == nil {
		st.Steps = []apply.Record{}
	}
	if withPlan && st.Next == string(apply.StepApprove) {
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
	b, dir, ok := s.applyEnabled(w, r)
	if !ok {
		return
	}
	if b.Status == wizard.StatusCompleted {
		s.fail(w, r, wizard.Errorf(wizard.ECONFLICT, "bootstrap %s is completed: its credentials are wiped", b.ID))
		return
	}
	if _, _, err := s.runner(r.Context(), b, dir); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.prepare(b, dir); err != nil {
		s.fail(w, r, err)
		return
	}
	s.start(dir, func(ctx context.Context) func() { return s.execute(ctx, b, dir, "") })
	s.audit(r.Context(), who(r), "apply.start", b.ID)
	s.answerStatus(w, r, b, dir, http.StatusAccepted)
}

func (s *Server) answerStatus(w http.ResponseWriter, r *http.Request, b *wizard.Bootstrap, dir string, code int) {
	st, err := s.status(r.Context(), b, dir, false)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, code, st)
}

func (s *Server) getApply(w http.ResponseWriter, r *http.Request) {
	b, dir, ok := s.applyEnabled(w, r)
	if !ok {
		return
	}
	st, err := s.status(r.Context(), b, dir, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) approveApply(w http.ResponseWriter, r *http.Request) {
	b, dir, ok := s.applyEnabled(w, r)
	if !ok {
		return
	}
	rn, _, err := s.runner(r.Context(), b, dir)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	log, err := s.eventLog(dir)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	rn.OnStep = func(rec apply.Record) {
		log.Append(apply.Event{Kind: apply.EventStep, Step: rec.Step, By: rec.By, At: rec.At})
	}
	if err := rn.Approve(who(r).user.Name); err != nil {
		s.fail(w, r, wizard.Errorf(wizard.ECONFLICT, "%v", err))
		return
	}
	s.audit(r.Context(), who(r), "apply.approve", b.ID)
	s.start(dir, func(ctx context.Context) func() { return s.execute(ctx, b, dir, "") })
	s.answerStatus(w, r, b, dir, http.StatusAccepted)
}

func (s *Server) destroy(w http.ResponseWriter, r *http.Request) {
	b, dir, ok := s.applyEnabled(w, r)
	if !ok {
		return
	}
	j, err := apply.LoadJournal(dir)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !j.Done()[apply.StepApply] || j.Done()[apply.StepDestroy] {
		s.fail(w, r, wizard.Errorf(wizard.ECONFLICT, "nothing applied to destroy"))
		return
	}
	if _, _, err := s.runner(r.Context(), b, dir); err != nil {
		s.fail(w, r, err)
		return
	}
	by := who(r).user.Name
	if !s.start(dir, func(ctx context.Context) func() { return s.execute(ctx, b, dir, by) }) {
		s.fail(w, r, wizard.Errorf(wizard.ECONFLICT, "a run is in progress; wait for it to finish"))
		return
	}
	s.audit(r.Context(), who(r), "apply.destroy", b.ID)
	s.answerStatus(w, r, b, dir, http.StatusAccepted)
}

// applyEvents streams the feed as server-sent events. Last-Event-ID (or
// ?after=) resumes after an event, also across a wizard restart.
func (s *Server) applyEvents(w http.ResponseWriter, r *http.Request) {
	_, dir, ok := s.applyEnabled(w, r)
	if !ok {
		return
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		s.fail(w, r, err)
		return
	}
	log, err := s.eventLog(dir)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	last := r.Header.Get("Last-Event-ID")
	if last == "" {
		last = r.URL.Query().Get("after")
	}
	after, _ := strconv.Atoi(last)
	fl, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no") // nginx: stream, do not buffer
	w.WriteHeader(http.StatusOK)
	keepalive := time.NewTicker(15 * time.Second)
	defer keepalive.Stop()
	for {
		evs, wake, err := log.Since(after)
		if err != nil {
			return
		}
		for _, e := range evs {
			data, _ := json.Marshal(e)
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.ID, e.Kind, data)
			after = e.ID
		}
		if fl != nil {
			fl.Flush()
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.runs.ctx.Done():
			return
		case <-wake:
		case <-keepalive.C:
			fmt.Fprint(w, ": keepalive\n\n")
		}
	}
}
