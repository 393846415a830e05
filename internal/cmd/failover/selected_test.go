package failover_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
)

// status lists what the selectors matched, with each object's state as
// the controller wrote it into the FailoverGroup on the real API server:
// a converged CNPG Cluster, a Valkey replica following its peer, one not
// actuated (its problem shown), one whose last actuation failed; --json
// carries the same fields.
func TestStatusShowsSelected(t *testing.T) {
	ctx := context.Background()
	fg := group(t, "orders", 8)
	fg.Status.SelectedCNPG = []failoverv1.SelectedCNPGCluster{
		{Namespace: "team-a", Name: "orders", Self: "orders-hel1", Peer: "orders-fsn1", Primary: "orders-fsn1",
			Role: failoverv1.CNPGRoleReplica, Epoch: 7, Converged: true},
	}
	fg.Status.SelectedValkey = []failoverv1.SelectedValkey{
		{Namespace: "team-a", Name: "cache-hel1", PeerService: "cache-fsn1", Address: "cache-hel1.team-a.svc:6379",
			PeerAddress: "cache-fsn1.team-a.svc:6379", Role: failoverv1.ValkeyRoleReplica, ReplicaOf: "cache-fsn1.team-a.svc:6379", Epoch: 7, Converged: true},
		{Namespace: "team-b", Name: "sessions-hel1", Problem: "Secret team-b/sessions-valkey-users does not exist (yet)"},
		{Namespace: "team-c", Name: "rates-hel1", Role: failoverv1.ValkeyRolePrimary, Epoch: 6,
			LastError: "deactivate at epoch 7: valkey team-c/rates-hel1: REPLICAOF: i/o timeout"},
	}
	if err := env.Client.Status().Update(ctx, fg); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, "status", "orders", "-n", "dr")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(out, "\n")
	row := func(object string) []string {
		for _, l := range lines {
			if f := strings.Fields(l); len(f) > 2 && f[2] == object {
				return f
			}
		}
		t.Fatalf("no row for %s:\n%s", object, out)
		return nil
	}
	for object, want := range map[string]string{
		"team-a/orders":        "dr/orders cnpg team-a/orders Replica 7 yes spec.replica.primary orders-fsn1",
		"team-a/cache-hel1":    "dr/orders valkey team-a/cache-hel1 Replica 7 yes replica of cache-fsn1.team-a.svc:6379",
		"team-b/sessions-hel1": "dr/orders valkey team-b/sessions-hel1 - - no Secret team-b/sessions-valkey-users does not exist (yet)",
		"team-c/rates-hel1":    "dr/orders valkey team-c/rates-hel1 Primary 6 no deactivate at epoch 7:",
	} {
		if got := strings.Join(row(object), " "); !strings.HasPrefix(got, want) {
			t.Errorf("row %q, want it to start with %q", got, want)
		}
	}
	if !strings.Contains(out, "GROUP") || !strings.Contains(out, "SELECTED") || !strings.Contains(out, "CONVERGED") {
		t.Errorf("no selected table header:\n%s", out)
	}

	out, _, err = run(t, "status", "orders", "-n", "dr", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got []failoverv1.FailoverGroup
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Status.SelectedValkey) != 3 || got[0].Status.SelectedValkey[0].ReplicaOf != "cache-fsn1.team-a.svc:6379" ||
		len(got[0].Status.SelectedCNPG) != 1 {
		t.Errorf("--json: %+v", got)
	}

	// A group with no selection prints no second table.
	group(t, "plain", 3)
	if out, _, err = run(t, "status", "plain", "-n", "dr"); err != nil || strings.Contains(out, "SELECTED") {
		t.Errorf("status of a group without selection: %v\n%s", err, out)
	}
}
