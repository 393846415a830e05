package http_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/tofutest"
	"github.com/openova-io/openova/internal/wizard"
	"github.com/openova-io/openova/internal/wizard/apply"
)

// applyTF stands in for the generated terraform/'s resources (whose hcloud
// provider cannot be downloaded here): OpenTofu's built-in terraform_data
// only. testApplyConfig runs it beside the generated variables.tf itself,
// so a plan fails unless every required variable, with its validation,
// reaches tofu's environment from the held credentials.
const applyTF = `
resource "terraform_data" "network" {
  input = "net-of-the-platform"
}
resource "terraform_data" "cluster" {
  input = "cluster-on-${terraform_data.network.output}"
}
`

func testApplyConfig(_ *wizard.Bootstrap, tree *filetree.Tree) (map[string][]byte, error) {
	vars, ok := tree.Get("terraform/variables.tf")
	if !ok {
		return nil, fmt.Errorf("the generated tree has no terraform/variables.tf")
	}
	return map[string][]byte{"main.tf": []byte(applyTF), "variables.tf": vars}, nil
}

// events reads the SSE feed after lastID until stop says so; the deadline
// only guards against a hung test.
func (c *client) events(id string, lastID int64, stop func(apply.Event) bool) []apply.Event {
	c.h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", c.h.srv.URL+"/api/v1/bootstraps/"+id+"/apply/events", nil)
	if lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.h.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 || res.Header.Get("Content-Type") != "text/event-stream" {
		c.h.t.Fatalf("events = %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	var out []apply.Event
	sc := bufio.NewScanner(res.Body)
	var sseID int64
	for sc.Scan() {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "id: "); ok {
			sseID, _ = strconv.ParseInt(v, 10, 64)
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var e apply.Event
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			c.h.t.Fatal(err)
		}
		if e.ID != sseID {
			c.h.t.Fatalf("event id %d under SSE id %d", e.ID, sseID)
		}
		out = append(out, e)
		if stop(e) {
			return out
		}
	}
	c.h.t.Fatalf("feed ended before the awaited event; got %+v (%v)", out, sc.Err())
	return nil
}

func status(text string) func(apply.Event) bool {
	return func(e apply.Event) bool {
		return e.Kind == apply.EventStatus && (e.Text == text || strings.HasPrefix(e.Text, "failed"))
	}
}

// TestManagedApplyThroughAPI: start over the API, the wizard is killed
// right after init, a restarted wizard resumes without running init again,
// the browser reconnects with Last-Event-ID, a person approves the shown
// plan, it applies, then destroys; no credential is in any file the apply
// leaves and the state is encrypted.
func TestManagedApplyThroughAPI(t *testing.T) {
	h := newHarness(t)
	h.stop()
	h.tofu, h.applyConfig = tofutest.Bin(t), testApplyConfig
	h.start()
	c := h.client().mustLogin("admin", adminPassword)
	id := c.newBootstrap()

	if code, data := c.do("POST", "/api/v1/bootstraps/"+id+"/apply", nil); code != http.StatusConflict {
		t.Fatalf("apply without a state passphrase = %d %s, want 409", code, data)
	}
	bodies, _ := stepBodies(t, "../../../examples/one-region.yaml")
	c.fillSteps(id, bodies)
	gen := c.generateAll(id)

	if code, data := c.do("POST", "/api/v1/bootstraps/"+id+"/apply", nil); code != http.StatusAccepted {
		t.Fatalf("apply = %d %s", code, data)
	}
	first := c.events(id, 0, func(e apply.Event) bool { return e.Kind == apply.EventStep && e.Step == apply.StepInit })
	h.restart() // killed between init and plan (plan, if started, dies with it)

	seen := first[len(first)-1].ID
	rest := c.events(id, seen, status("awaiting-approval"))
	if rest[0].ID != seen+1 {
		t.Fatalf("resumed feed starts at %d, want %d", rest[0].ID, seen+1)
	}
	if last := rest[len(rest)-1]; last.Text != "awaiting-approval" {
		t.Fatalf("resumed run ended %q", last.Text)
	}
	for _, e := range rest {
		if e.Step == apply.StepInit {
			t.Fatalf("init ran again after the restart: %+v", e)
		}
	}

	code, data := c.do("GET", "/api/v1/bootstraps/"+id+"/apply", nil)
	st := decode[struct{ Next, Plan string }](t, data)
	if code != 200 || st.Next != "approve" || !strings.Contains(st.Plan, "2 to add") {
		t.Fatalf("status = %d %s", code, data)
	}
	code, page := c.do("GET", "/b/"+id+"/apply", nil)
	if code != 200 || !strings.Contains(string(page), "2 to add") || !strings.Contains(string(page), `id="apply-approve"`) {
		t.Fatalf("apply page = %d\n%s", code, page)
	}

	if code, data := c.do("POST", "/api/v1/bootstraps/"+id+"/apply/approve", nil); code != http.StatusAccepted {
		t.Fatalf("approve = %d %s", code, data)
	}
	if code, _ := c.do("POST", "/api/v1/bootstraps/"+id+"/apply/approve", nil); code != http.StatusConflict {
		t.Fatalf("second approve = %d, want 409", code)
	}
	if code, _ := c.do("POST", "/api/v1/bootstraps/"+id+"/complete", nil); code != http.StatusConflict {
		t.Fatalf("complete while applying = %d, want 409 (its credentials are in use)", code)
	}
	if code, _ := c.do("DELETE", "/api/v1/bootstraps/"+id, nil); code != http.StatusConflict {
		t.Fatalf("delete while applying = %d, want 409 (the apply's journal and credentials are in use)", code)
	}
	// Another organisation sees none of it.
	if _, err := wizard.AddLocalUser(context.Background(), h.store, "globex", "mallory", adminPassword, h.now.get()); err != nil {
		t.Fatal(err)
	}
	other := h.client().mustLogin("mallory", adminPassword)
	for _, p := range []string{"GET /apply", "GET /apply/events", "POST /apply", "POST /apply/approve", "POST /destroy"} {
		method, path, _ := strings.Cut(p, " ")
		if code, _ := other.do(method, "/api/v1/bootstraps/"+id+path, nil); code != http.StatusNotFound {
			t.Errorf("another organisation's %s = %d, want 404", p, code)
		}
	}
	done := c.events(id, rest[len(rest)-1].ID, status("done"))
	if last := done[len(done)-1]; last.Text != "done" {
		t.Fatalf("apply ended %q", last.Text)
	}

	dir := filepath.Join(h.dir, "apply")
	if got, run := stepsOf(t, h, id); got != "init,plan,approve,applying,apply" || run.Steps[2].By != "admin" || run.Status != "done" || run.Holder != "" {
		t.Fatalf("journal = %s (%+v)", got, run)
	}

	if code, data := c.do("POST", "/api/v1/bootstraps/"+id+"/destroy", nil); code != http.StatusAccepted {
		t.Fatalf("destroy = %d %s", code, data)
	}
	c.events(id, done[len(done)-1].ID, status("destroyed"))
	if got, _ := stepsOf(t, h, id); got != "init,plan,approve,applying,apply,destroy" {
		t.Fatalf("journal after destroy = %s", got)
	}

	// Nothing the apply leaves on disk holds a credential in clear.
	secrets := mapValues(gen)
	for _, v := range typed {
		secrets = append(secrets, v)
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, _ := os.ReadFile(p)
		for _, s := range secrets {
			if strings.Contains(string(data), s) {
				t.Errorf("%s holds a credential in clear", p)
			}
		}
		if filepath.Base(p) == "terraform.tfstate" && !strings.Contains(string(data), "encrypted_data") {
			t.Errorf("%s is not encrypted", p)
		}
		return nil
	})
	if strings.Contains(h.bodies.String(), typed["hcloud-token"]) {
		t.Error("an API answer held the hcloud token")
	}
}

// stepsOf reads the apply's journal from the store.
func stepsOf(t *testing.T, h *harness, id string) (string, *wizard.ApplyRun) {
	t.Helper()
	run, err := h.store.ApplyRun(context.Background(), orgOf(t, h), id)
	if err != nil {
		t.Fatal(err)
	}
	var s []string
	for _, r := range run.Steps {
		s = append(s, r.Step)
	}
	return strings.Join(s, ","), run
}

func TestApplyOffWithoutTofu(t *testing.T) {
	h := newHarness(t)
	c := h.client().mustLogin("admin", adminPassword)
	id := c.newBootstrap()
	code, data := c.do("POST", "/api/v1/bootstraps/"+id+"/apply", nil)
	if code != http.StatusConflict || !strings.Contains(string(data), "--tofu") {
		t.Fatalf("apply with managed apply off = %d %s", code, data)
	}
}
