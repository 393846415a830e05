package v1alpha1_test

import (
	"context"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, func(e *testenv.Env) {
		if err := failoverv1.AddToScheme(e.Scheme); err != nil {
			panic(err)
		}
		env = e
	})
}

func minimal(name string) *failoverv1.FailoverGroup {
	return &failoverv1.FailoverGroup{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: failoverv1.FailoverGroupSpec{
			Region:     "fsn1",
			PeerRegion: "hel1",
			Witness: failoverv1.WitnessSpec{
				URL:                  "https://witness.example.net",
				LeaseName:            "shop",
				CredentialsSecretRef: failoverv1.SecretKeyRef{Name: "witness-fsn1"},
			},
		},
	}
}

// The API server installs the generated CRD, defaults the timing, mode and
// RPO bound, and keeps status behind the status subresource.
func TestFailoverGroupRoundTrip(t *testing.T) {
	ctx := context.Background()
	fg := minimal("roundtrip")
	fg.Spec.Layers.External.Gates = []failoverv1.Gate{{GateService: "shop-gate", HTTPRoutes: []failoverv1.ObjectRef{{Name: "shop"}}}}
	fg.Spec.Layers.Internal.Services = []failoverv1.GlobalService{{ObjectRef: failoverv1.ObjectRef{Name: "orders"}}}
	fg.Spec.Layers.Stateful.CNPG = []failoverv1.CNPGCluster{{ObjectRef: failoverv1.ObjectRef{Name: "pg-fsn1"}, PeerCluster: "pg-hel1"}}
	fg.Spec.Layers.Stateful.MirrorMaker2 = []failoverv1.MirrorMaker2{{ObjectRef: failoverv1.ObjectRef{Name: "mm2"}}}
	if err := env.Client.Create(ctx, fg); err != nil {
		t.Fatalf("create: %v", err)
	}

	var got failoverv1.FailoverGroup
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(fg), &got); err != nil {
		t.Fatal(err)
	}
	renew, ttl, retry := got.Spec.Timing.Resolved()
	if got.Spec.Timing.TTL == nil {
		t.Fatal("spec.timing.ttl was not defaulted by the API server")
	}
	if renew != 10*time.Second || ttl != 30*time.Second || retry != 10*time.Second {
		t.Errorf("timing defaults = %s/%s/%s, want 10s/30s/10s", renew, ttl, retry)
	}
	if got.Spec.Mode != failoverv1.ModeSemiAutomatic || got.Spec.RPO.MaxLagSeconds == nil || *got.Spec.RPO.MaxLagSeconds != 30 {
		t.Errorf("mode %q maxLag %d, want semi-automatic and 30", got.Spec.Mode, got.Spec.RPO.MaxLagSeconds)
	}
	if got.Spec.Witness.CredentialsSecretRef.Key != "token" {
		t.Errorf("credentials key default = %q, want token", got.Spec.Witness.CredentialsSecretRef.Key)
	}
	if s := got.Spec.Layers.Internal.Services[0]; s.ActiveAffinity != failoverv1.AffinityLocal || s.StandbyAffinity != failoverv1.AffinityRemote {
		t.Errorf("affinity defaults = %q/%q, want local/remote", s.ActiveAffinity, s.StandbyAffinity)
	}
	if got.Spec.Layers.Stateful.MirrorMaker2[0].Direction != failoverv1.MirrorPull {
		t.Errorf("mirror direction default = %q, want pull", got.Spec.Layers.Stateful.MirrorMaker2[0].Direction)
	}

	lag := int64(3)
	got.Status = failoverv1.FailoverGroupStatus{
		State: failoverv1.StateActive, Epoch: 7, Holder: "fsn1",
		LastRenewal: &metav1.Time{Time: time.Unix(1_800_000_000, 0)},
		History: []failoverv1.HistoryEntry{{Time: metav1.Unix(1_800_000_000, 0), Kind: failoverv1.HistoryTransition,
			Epoch: 7, Who: "fsn1", From: failoverv1.StateFailingOver, To: failoverv1.StateActive}},
		LastFailover: &failoverv1.FailoverRecord{Epoch: 7, From: "hel1", To: "fsn1", At: metav1.Unix(1_800_000_000, 0),
			RTO: metav1.Duration{Duration: 34 * time.Second}, RPOSeconds: &lag},
		Conditions: []metav1.Condition{{Type: "Ready", Status: metav1.ConditionTrue, Reason: "Active",
			LastTransitionTime: metav1.Unix(1_800_000_000, 0)}},
	}
	if err := env.Client.Status().Update(ctx, &got); err != nil {
		t.Fatalf("status update: %v", err)
	}
	var back failoverv1.FailoverGroup
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(fg), &back); err != nil {
		t.Fatal(err)
	}
	if back.Status.Epoch != 7 || back.Status.State != failoverv1.StateActive || back.Status.LastFailover.RTO.Duration != 34*time.Second ||
		len(back.Status.History) != 1 || *back.Status.LastFailover.RPOSeconds != 3 {
		t.Errorf("status did not round-trip: %+v", back.Status)
	}
}

// Bad specs are refused by the API server with a message naming the field.
func TestFailoverGroupValidation(t *testing.T) {
	ctx := context.Background()
	cases := map[string]struct {
		mutate func(*failoverv1.FailoverGroup)
		want   string
	}{
		"timing budget": {func(fg *failoverv1.FailoverGroup) {
			fg.Spec.Timing.TTL = &metav1.Duration{Duration: 20 * time.Second}
		}, "renewInterval + 2 × retryTimeout must not exceed ttl"},
		"zero renew": {func(fg *failoverv1.FailoverGroup) {
			fg.Spec.Timing.RenewInterval = &metav1.Duration{}
		}, "must be positive"},
		"same region": {func(fg *failoverv1.FailoverGroup) { fg.Spec.PeerRegion = "fsn1" }, "peerRegion must differ"},
		"mode":        {func(fg *failoverv1.FailoverGroup) { fg.Spec.Mode = "yolo" }, "spec.mode"},
		"witness url": {func(fg *failoverv1.FailoverGroup) { fg.Spec.Witness.URL = "witness" }, "spec.witness.url"},
		"empty cnpg selector": {func(fg *failoverv1.FailoverGroup) {
			fg.Spec.Layers.Stateful.CNPGSelector = &metav1.LabelSelector{}
		}, "cnpgSelector must not be empty"},
		"empty valkey selector": {func(fg *failoverv1.FailoverGroup) {
			fg.Spec.Layers.Stateful.ValkeySelector = &metav1.LabelSelector{}
		}, "valkeySelector must not be empty"},
		"valkey address": {func(fg *failoverv1.FailoverGroup) {
			fg.Spec.Layers.Stateful.ValkeySelector = &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}
			fg.Spec.Layers.Stateful.Valkey = []failoverv1.ValkeyInstance{{Address: "x", PeerAddress: "cache:6379"}}
		}, "spec.layers.stateful.valkey[0].address"},
		"approval epoch": {func(fg *failoverv1.FailoverGroup) {
			fg.Spec.Approval = &failoverv1.Approval{Epoch: 0, By: "alice"}
		}, "spec.approval.epoch"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			fg := minimal("invalid-" + strings.ReplaceAll(name, " ", "-"))
			c.mutate(fg)
			err := env.Client.Create(ctx, fg)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("create: got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestValidateTiming(t *testing.T) {
	if err := failoverv1.ValidateTiming(10*time.Second, 30*time.Second, 10*time.Second); err != nil {
		t.Errorf("defaults rejected: %v", err)
	}
	err := failoverv1.ValidateTiming(10*time.Second, 25*time.Second, 10*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exceeds ttl") {
		t.Errorf("10s+2×10s > 25s accepted or unclear: %v", err)
	}
	renew, ttl, retry := failoverv1.Timing{}.Resolved()
	if renew != failoverv1.DefaultRenewInterval || ttl != failoverv1.DefaultTTL || retry != failoverv1.DefaultRetryTimeout {
		t.Errorf("Resolved() of zero timing = %s/%s/%s", renew, ttl, retry)
	}
}

// A label selector of CNPG Clusters is kept as written, and what it
// resolved to round-trips through the status.
func TestFailoverGroupCNPGSelector(t *testing.T) {
	ctx := context.Background()
	fg := minimal("selector")
	fg.Spec.Layers.Stateful.CNPGSelector = &metav1.LabelSelector{MatchLabels: map[string]string{failoverv1.FollowActiveRegionLabel: failoverv1.FollowActiveRegionValue}}
	if err := env.Client.Create(ctx, fg); err != nil {
		t.Fatalf("create: %v", err)
	}
	fg.Status.SelectedCNPG = []failoverv1.SelectedCNPGCluster{
		{Namespace: "team-a", Name: "orders", Self: "orders-fsn1", Peer: "orders-hel1"},
		{Namespace: "team-b", Name: "legacy", Problem: "spec.replica.primary is not set"},
	}
	if err := env.Client.Status().Update(ctx, fg); err != nil {
		t.Fatalf("status update: %v", err)
	}
	var back failoverv1.FailoverGroup
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(fg), &back); err != nil {
		t.Fatal(err)
	}
	sel := back.Spec.Layers.Stateful.CNPGSelector
	if sel == nil || sel.MatchLabels[failoverv1.FollowActiveRegionLabel] != "true" {
		t.Errorf("cnpgSelector = %+v", sel)
	}
	if len(back.Status.SelectedCNPG) != 2 || back.Status.SelectedCNPG[1].Problem == "" || back.Status.SelectedCNPG[0].Peer != "orders-hel1" {
		t.Errorf("selectedCNPG did not round-trip: %+v", back.Status.SelectedCNPG)
	}
}

// A label selector of Valkey Services is kept as written, and what it
// resolved to round-trips through the status.
func TestFailoverGroupValkeySelector(t *testing.T) {
	ctx := context.Background()
	fg := minimal("valkey-selector")
	fg.Spec.Layers.Stateful.ValkeySelector = &metav1.LabelSelector{MatchLabels: map[string]string{failoverv1.FollowActiveRegionLabel: failoverv1.FollowActiveRegionValue}}
	if err := env.Client.Create(ctx, fg); err != nil {
		t.Fatalf("create: %v", err)
	}
	fg.Status.SelectedValkey = []failoverv1.SelectedValkey{
		{Namespace: "team-a", Name: "cache-fsn1", PeerService: "cache-hel1", Address: "cache-fsn1.team-a.svc:6379",
			PeerAddress: "cache-hel1.team-a.svc:6379", Role: failoverv1.ValkeyRoleReplica, ReplicaOf: "cache-hel1.team-a.svc:6379", Epoch: 4},
		{Namespace: "team-b", Name: "sessions-fsn1", Problem: "Secret team-b/sessions-valkey-users does not exist (yet)"},
	}
	if err := env.Client.Status().Update(ctx, fg); err != nil {
		t.Fatalf("status update: %v", err)
	}
	var back failoverv1.FailoverGroup
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(fg), &back); err != nil {
		t.Fatal(err)
	}
	if sel := back.Spec.Layers.Stateful.ValkeySelector; sel == nil || sel.MatchLabels[failoverv1.FollowActiveRegionLabel] != "true" {
		t.Errorf("valkeySelector = %+v", sel)
	}
	if got := back.Status.SelectedValkey; len(got) != 2 || got[0].Role != failoverv1.ValkeyRoleReplica || got[0].Epoch != 4 || got[1].Problem == "" {
		t.Errorf("selectedValkey did not round-trip: %+v", got)
	}
	fg = &back
	fg.Status.SelectedValkey[0].Role = "Leader"
	if err := env.Client.Status().Update(ctx, fg); err == nil || !strings.Contains(err.Error(), "role") {
		t.Errorf("a role outside Primary, Replica, Unknown: %v, want refused", err)
	}
}
