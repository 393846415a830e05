package http_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/tofutest"
	"github.com/openova-io/openova/internal/wizard"
	"github.com/openova-io/openova/internal/wizard/apply"
	"github.com/openova-io/openova/internal/wizard/sqlstore"
)

// slowApplyConfig's apply runs a built-in local-exec provisioner that
// sleeps for about ten minutes.
func slowApplyConfig(s tofutest.Sleeper) func(*wizard.Bootstrap, *filetree.Tree) (map[string][]byte, error) {
	slowTF := `
resource "terraform_data" "slow" {
  input = "slow"
  provisioner "local-exec" {
    command = "` + s.Command() + `"
  }
}
`
	return func(_ *wizard.Bootstrap, tree *filetree.Tree) (map[string][]byte, error) {
		vars, _ := tree.Get("terraform/variables.tf")
		return map[string][]byte{"main.tf": []byte(slowTF), "variables.tf": vars}, nil
	}
}

// TestLostLeaseStopsTheRun: while tofu applies, another holder takes the
// apply's lease (as a replica would once this one stalled past it); this
// replica's renewal fails, its tofu is stopped with its process group, and
// it records no step: only the lease's holder may.
func TestLostLeaseStopsTheRun(t *testing.T) {
	h := newHarness(t)
	h.stop()
	sleeper := tofutest.NewSleeper()
	h.tofu, h.applyConfig, h.lease = tofutest.Bin(t), slowApplyConfig(sleeper), time.Second
	h.start()
	c := h.client().mustLogin("admin", adminPassword)
	id := c.newBootstrap()
	bodies, _ := stepBodies(t, "../../../examples/one-region.yaml")
	c.fillSteps(id, bodies)
	c.generateAll(id)
	if code, data := c.do("POST", "/api/v1/bootstraps/"+id+"/apply", nil); code != http.StatusAccepted {
		t.Fatalf("apply = %d %s", code, data)
	}
	planned := c.events(id, 0, status("awaiting-approval"))
	if code, data := c.do("POST", "/api/v1/bootstraps/"+id+"/apply/approve", nil); code != http.StatusAccepted {
		t.Fatalf("approve = %d %s", code, data)
	}
	c.events(id, planned[len(planned)-1].ID, func(e apply.Event) bool { return e.Kind == apply.EventLine && sleeper.Running() > 0 })

	ctx, org := context.Background(), orgOf(t, h)
	// Expire the lease and take it; the replica's renewal (every third of
	// a second) may renew it in between on a loaded machine: expire again.
	for tries := 1; ; tries++ {
		if _, err := h.store.(*sqlstore.Store).DB.ExecContext(ctx, `UPDATE apply_runs SET lease_expires = 0`); err != nil {
			t.Fatal(err)
		}
		ok, err := h.store.AcquireApplyLease(ctx, org, id, "intruder", time.Hour)
		if err != nil || (!ok && tries == 20) {
			t.Fatalf("take the expired lease = %v, %v (try %d)", ok, err, tries)
		}
		if ok {
			break
		}
	}
	for deadline := time.Now().Add(time.Minute); sleeper.Running() > 0; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the replica that lost the lease still runs tofu after a minute")
		}
	}
	got, run := stepsOf(t, h, id)
	if got != "init,plan,approve,applying" || run.Holder != "intruder" || run.Status != wizard.ApplyRunning {
		t.Fatalf("after the lease was lost: journal %s, holder %q, status %q; want apply unrecorded, the intruder's lease, still resumable", got, run.Holder, run.Status)
	}
}

// destroyTF's destroy runs a destroy-time provisioner that sleeps the
// first time only (it leaves a mark in the work directory).
func destroyTF(s tofutest.Sleeper) string {
	return `
resource "terraform_data" "network" {
  input = "net"
}
resource "terraform_data" "cluster" {
  input = terraform_data.network.output
  provisioner "local-exec" {
    when    = destroy
    command = "test -e .destroyed-once || { touch .destroyed-once; ` + s.Command() + `; }"
  }
}
`
}

// TestDestroyResumesAfterRestart: the wizard stops mid-destroy (tofu is
// interrupted, the step is not recorded); the restarted wizard resumes the
// destroy, journalled under the person who asked for it.
func TestDestroyResumesAfterRestart(t *testing.T) {
	h := newHarness(t)
	h.stop()
	h.tofu, h.lease = tofutest.Bin(t), time.Second
	sleeper := tofutest.NewSleeper()
	h.applyConfig = func(_ *wizard.Bootstrap, tree *filetree.Tree) (map[string][]byte, error) {
		vars, _ := tree.Get("terraform/variables.tf")
		return map[string][]byte{"main.tf": []byte(destroyTF(sleeper)), "variables.tf": vars}, nil
	}
	h.start()
	c := h.client().mustLogin("admin", adminPassword)
	id := c.newBootstrap()
	bodies, _ := stepBodies(t, "../../../examples/one-region.yaml")
	c.fillSteps(id, bodies)
	c.generateAll(id)
	if code, data := c.do("POST", "/api/v1/bootstraps/"+id+"/apply", nil); code != http.StatusAccepted {
		t.Fatalf("apply = %d %s", code, data)
	}
	evs := c.events(id, 0, status("awaiting-approval"))
	if code, data := c.do("POST", "/api/v1/bootstraps/"+id+"/apply/approve", nil); code != http.StatusAccepted {
		t.Fatalf("approve = %d %s", code, data)
	}
	evs = c.events(id, evs[len(evs)-1].ID, status("done"))
	if code, data := c.do("POST", "/api/v1/bootstraps/"+id+"/destroy", nil); code != http.StatusAccepted {
		t.Fatalf("destroy = %d %s", code, data)
	}
	c.events(id, evs[len(evs)-1].ID, func(apply.Event) bool { return sleeper.Running() > 0 })
	if code, _ := c.do("DELETE", "/api/v1/bootstraps/"+id, nil); code != http.StatusConflict {
		t.Fatalf("delete while destroying = %d, want 409", code)
	}
	h.restart() // the destroy is interrupted mid-way
	if got, run := stepsOf(t, h, id); got != "init,plan,approve,applying,apply" || run.Status != wizard.ApplyDestroying {
		t.Fatalf("after the stop: journal %s, status %q; want destroy unrecorded and resumable", got, run.Status)
	}
	if !sleeper.Gone(5 * time.Second) {
		t.Fatalf("%d provisioner process(es) outlived the stopped wizard", sleeper.Running())
	}
	c.events(id, 0, status("destroyed"))
	got, run := stepsOf(t, h, id)
	if got != "init,plan,approve,applying,apply,destroy" || run.Steps[5].By != "admin" || run.Status != "destroyed" {
		t.Fatalf("after the resumed destroy: journal %s (%+v), status %q", got, run.Steps, run.Status)
	}
}

// TestFixedSpecIsPlannedAfterAFailure: a plan that fails on the spec
// (here the configuration refers to an undeclared variable while the
// domain is the broken one) is fixed on the organisation step, and the
// next start plans the configuration generated from the fixed spec.
func TestFixedSpecIsPlannedAfterAFailure(t *testing.T) {
	h := newHarness(t)
	h.stop()
	h.tofu = tofutest.Bin(t)
	h.applyConfig = func(b *wizard.Bootstrap, tree *filetree.Tree) (map[string][]byte, error) {
		vars, _ := tree.Get("terraform/variables.tf")
		input := `"` + b.Instance.Spec.Domain + `"`
		if strings.HasPrefix(b.Instance.Spec.Domain, "broken.") {
			input = "var.not_declared"
		}
		return map[string][]byte{"main.tf": []byte(`resource "terraform_data" "d" { input = ` + input + " }\n"), "variables.tf": vars}, nil
	}
	h.start()
	c := h.client().mustLogin("admin", adminPassword)
	id := c.newBootstrap()
	bodies, _ := stepBodies(t, "../../../examples/one-region.yaml")
	bodies["organisation"]["domain"] = "broken.example.com"
	c.fillSteps(id, bodies)
	c.generateAll(id)
	if code, data := c.do("POST", "/api/v1/bootstraps/"+id+"/apply", nil); code != http.StatusAccepted {
		t.Fatalf("apply = %d %s", code, data)
	}
	evs := c.events(id, 0, status("awaiting-approval"))
	if last := evs[len(evs)-1]; !strings.HasPrefix(last.Text, "failed") {
		t.Fatalf("plan of the broken spec ended %q, want failed", last.Text)
	}
	bodies["organisation"]["domain"] = "fixed.example.com"
	if code, data := c.do("PUT", "/api/v1/bootstraps/"+id+"/steps/organisation", bodies["organisation"]); code != 200 {
		t.Fatalf("fix the domain = %d %s", code, data)
	}
	if code, data := c.do("POST", "/api/v1/bootstraps/"+id+"/apply", nil); code != http.StatusAccepted {
		t.Fatalf("apply again = %d %s", code, data)
	}
	evs = c.events(id, evs[len(evs)-1].ID, status("awaiting-approval"))
	if last := evs[len(evs)-1]; last.Text != "awaiting-approval" {
		t.Fatalf("plan of the fixed spec ended %q", last.Text)
	}
	_, data := c.do("GET", "/api/v1/bootstraps/"+id+"/apply", nil)
	if st := decode[struct{ Plan string }](t, data); !strings.Contains(st.Plan, "fixed.example.com") {
		t.Fatalf("the plan is not of the fixed spec:\n%s", st.Plan)
	}
}
