package failover_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/cmd/failover"
	"github.com/openova-io/openova/internal/failover/controller"
	"github.com/openova-io/openova/internal/iostreams"
	"github.com/openova-io/openova/internal/testenv"
)

var (
	env        *testenv.Env
	kubeconfig string
)

func TestMain(m *testing.M) {
	testenv.Main(m, func(e *testenv.Env) {
		env = e
		dir, err := os.MkdirTemp("", "failover-cli")
		if err != nil {
			panic(err)
		}
		kubeconfig = filepath.Join(dir, "kubeconfig")
		if err := os.WriteFile(kubeconfig, e.Kubeconfig, 0o600); err != nil {
			panic(err)
		}
	})
}

// run executes `catalyst failover args...` against the test API server.
func run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	cmd := failover.NewCmdFailover(&factory.Factory{IOStreams: ios})
	cmd.SetArgs(append(args, "--kubeconfig", kubeconfig))
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), errOut.String(), err
}

// group creates a FailoverGroup whose status shows a pending proposal, as
// the controller would write it.
func group(t *testing.T, name string, proposal int64) *failoverv1.FailoverGroup {
	t.Helper()
	ctx := context.Background()
	if err := env.EnsureNamespace(ctx, "dr"); err != nil {
		t.Fatal(err)
	}
	fg := &failoverv1.FailoverGroup{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "dr"},
		Spec: failoverv1.FailoverGroupSpec{Region: "hel1", PeerRegion: "fsn1", Mode: failoverv1.ModeSemiAutomatic,
			Witness: failoverv1.WitnessSpec{URL: "https://witness.example.net", LeaseName: name,
				CredentialsSecretRef: failoverv1.SecretKeyRef{Name: "witness"}}},
	}
	if err := env.Client.Create(ctx, fg); err != nil {
		t.Fatal(err)
	}
	fg.Status = failoverv1.FailoverGroupStatus{State: failoverv1.StateStandby, Epoch: proposal - 1, Holder: "fsn1",
		PendingProposal: &failoverv1.Proposal{Epoch: proposal, Reason: "replication lag above bound", At: metav1.Now()}}
	if err := env.Client.Status().Update(ctx, fg); err != nil {
		t.Fatal(err)
	}
	return fg
}

func TestApproveRecordsTheEpoch(t *testing.T) {
	fg := group(t, "shop", 42)
	// The wrong epoch is refused with the current one named.
	_, _, err := run(t, "approve", "shop", "-n", "dr", "--epoch", "41", "--as", "alice@bank.example")
	if err == nil || !strings.Contains(err.Error(), "is for epoch 42, not 41") {
		t.Fatalf("approve of a stale epoch: %v", err)
	}
	out, _, err := run(t, "approve", "shop", "-n", "dr", "--epoch", "42", "--as", "alice@bank.example")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "approved takeover at epoch 42") {
		t.Errorf("output: %q", out)
	}
	var got failoverv1.FailoverGroup
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(fg), &got); err != nil {
		t.Fatal(err)
	}
	a := got.Spec.Approval
	if a == nil || a.Epoch != 42 || a.By != "alice@bank.example" || a.Decision != failoverv1.DecisionApprove || a.At == nil {
		t.Errorf("spec.approval = %+v", a)
	}
	if _, _, err := run(t, "approve", "shop", "-n", "dr", "--epoch", "42"); err == nil || !strings.Contains(err.Error(), `"as" not set`) {
		t.Errorf("approve without --as: %v", err)
	}
}

func TestSwitchoverRequest(t *testing.T) {
	fg := group(t, "ledger", 5)
	if _, _, err := run(t, "switchover", "ledger", "-n", "dr", "--to", "ams1", "--as", "bob"); err == nil || !strings.Contains(err.Error(), "neither region") {
		t.Fatalf("switchover to an unknown region: %v", err)
	}
	if _, _, err := run(t, "switchover", "ledger", "-n", "dr", "--to", "hel1", "--as", "bob"); err != nil {
		t.Fatal(err)
	}
	var got failoverv1.FailoverGroup
	if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(fg), &got); err != nil {
		t.Fatal(err)
	}
	s := got.Spec.Switchover
	if s == nil || s.Target != "hel1" || s.By != "bob" || !strings.HasPrefix(s.ID, "switchover-") {
		t.Errorf("spec.switchover = %+v", s)
	}
}

func TestStatusFromAPIServer(t *testing.T) {
	group(t, "payments", 9)
	out, _, err := run(t, "status", "payments", "-n", "dr")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"REGION", "hel1", "STANDBY", "8", "fsn1", "semi-automatic", "epoch 9: replication lag above bound"} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = run(t, "status", "payments", "-n", "dr", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var groups []failoverv1.FailoverGroup
	if err := json.Unmarshal([]byte(out), &groups); err != nil || len(groups) != 1 || groups[0].Status.PendingProposal.Epoch != 9 {
		t.Errorf("--json: %v %s", err, out)
	}
}

// --url reads controllers' /status. The controller itself is not started
// here (it is tested in internal/failover/controller); a loopback server
// serves its documented StatusJSON instead, and a second URL is down.
func TestStatusFromControllers(t *testing.T) {
	last := time.Now().Add(-3 * time.Second).UTC()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/status" {
			http.NotFound(w, r)
			return
		}
		_ = json.NewEncoder(w).Encode(controller.StatusJSON{Region: "fsn1", State: "ACTIVE", Epoch: 12, Holder: "fsn1", LastRenewal: &last, DeadlineSeconds: 17,
			SelectedValkey: []failoverv1.SelectedValkey{{Namespace: "team-a", Name: "cache-fsn1", Role: failoverv1.ValkeyRolePrimary, Epoch: 12, Converged: true}}})
	}))
	defer srv.Close()
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()

	out, _, err := run(t, "status", "--url", srv.URL, "--url", down.URL)
	if !strings.Contains(out, "fsn1") || !strings.Contains(out, "ACTIVE") || !strings.Contains(out, "12") || !strings.Contains(out, "17s") {
		t.Errorf("status output:\n%s", out)
	}
	if !strings.Contains(out, "REGION  KIND    SELECTED") || !strings.Contains(out, "fsn1    valkey  team-a/cache-fsn1  Primary  12     yes") {
		t.Errorf("the controller's selected objects are not listed:\n%s", out)
	}
	if err == nil || !strings.Contains(err.Error(), "1 of 2 controllers did not answer") {
		t.Errorf("an unreachable controller must fail the command: %v", err)
	}
}
