package v1alpha1_test

import (
	"context"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, func(e *testenv.Env) { env = e })
}

var t0 = metav1.NewTime(time.Unix(1_800_000_000, 0))

// The API server stores the instance lock's twin, defaults release kinds and
// keeps the manager's status behind the status subresource.
func TestPlatformInstanceRoundTrip(t *testing.T) {
	ctx := context.Background()
	pi := &platformv1.PlatformInstance{
		ObjectMeta: metav1.ObjectMeta{Name: "acme"},
		Spec: platformv1.PlatformInstanceSpec{
			Tenant: "acme", Regions: []string{"fsn1", "hel1"},
			Components: []platformv1.InstalledComponent{{
				Name: "cert-manager", BlueprintVersion: "1.0.0", AppVersion: "1.19.1",
				Releases: []platformv1.ReleaseRef{{Name: "cert-manager", Namespace: "cert-manager", ChartVersion: "v1.19.1",
					ValuesDigest: "sha256:" + strings.Repeat("ab", 32)}},
			}},
		},
	}
	if err := env.Client.Create(ctx, pi); err != nil {
		t.Fatalf("create: %v", err)
	}
	var got platformv1.PlatformInstance
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(pi), &got); err != nil {
		t.Fatal(err)
	}
	if k := got.Spec.Components[0].Releases[0].Kind; k != platformv1.KindHelmRelease {
		t.Errorf("release kind default = %q, want HelmRelease", k)
	}
	got.Status = platformv1.PlatformInstanceStatus{
		ObservedGeneration: got.Generation, Health: platformv1.HealthDegraded, Support: platformv1.SupportBestEffort, Drifted: 1,
		Components: []platformv1.ComponentStatus{{Name: "cert-manager", Health: platformv1.HealthDegraded,
			Support: platformv1.SupportBestEffort, RunningVersion: "1.19.1", Drift: []string{"values differ"}}},
		Conditions: []metav1.Condition{{Type: platformv1.ConditionReady, Status: metav1.ConditionFalse,
			Reason: platformv1.ReasonComponentsFailing, LastTransitionTime: t0}},
	}
	if err := env.Client.Status().Update(ctx, &got); err != nil {
		t.Fatalf("status update: %v", err)
	}
	var back platformv1.PlatformInstance
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(pi), &back); err != nil {
		t.Fatal(err)
	}
	if back.Status.Health != platformv1.HealthDegraded || back.Status.Drifted != 1 || len(back.Status.Components) != 1 ||
		back.Status.Components[0].Drift[0] != "values differ" || back.Status.Conditions[0].Reason != platformv1.ReasonComponentsFailing {
		t.Errorf("status did not round-trip: %+v", back.Status)
	}
}

func TestBlueprintRoundTrip(t *testing.T) {
	ctx := context.Background()
	bp := &platformv1.Blueprint{
		ObjectMeta: metav1.ObjectMeta{Name: "cnpg"},
		Spec: platformv1.BlueprintSpec{
			Version: "1.1.0", AppVersion: "1.27.1", Tier: "a-la-carte",
			Changelog: []platformv1.ChangelogEntry{{Version: "1.1.0", Date: "2026-11-01", Changes: []string{"CNPG 1.27.1"}}},
			Support:   []platformv1.SupportRange{{Versions: ">=1.27.0 <1.28.0", Status: platformv1.SupportSupported}},
			Claim: &platformv1.Claim{Kind: "PostgresClaim", Schema: apiextensionsv1.JSON{
				Raw: []byte(`{"type":"object","properties":{"tier":{"type":"string","enum":["tier-1","tier-2"],"default":"tier-2"}}}`)}},
		},
	}
	if err := env.Client.Create(ctx, bp); err != nil {
		t.Fatalf("create: %v", err)
	}
	var got platformv1.Blueprint
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(bp), &got); err != nil {
		t.Fatal(err)
	}
	// The claim schema is kept verbatim (not pruned), enum and default included.
	if s := string(got.Spec.Claim.Schema.Raw); !strings.Contains(s, `"enum":["tier-1","tier-2"]`) || !strings.Contains(s, `"default":"tier-2"`) {
		t.Errorf("claim schema pruned or changed: %s", s)
	}
	if got.Spec.Support[0].Status != platformv1.SupportSupported || got.Spec.Changelog[0].Date != "2026-11-01" {
		t.Errorf("spec did not round-trip: %+v", got.Spec)
	}
}

func TestPortalRequestRoundTrip(t *testing.T) {
	ctx := context.Background()
	if err := env.EnsureNamespace(ctx, "team-a"); err != nil {
		t.Fatal(err)
	}
	pr := &platformv1.PortalRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "orders-db", Namespace: "team-a"},
		Spec: platformv1.PortalRequestSpec{Blueprint: "cnpg", RequestedBy: "alice",
			Values: &apiextensionsv1.JSON{Raw: []byte(`{"tier":"tier-1","ha":true}`)}},
	}
	if err := env.Client.Create(ctx, pr); err != nil {
		t.Fatalf("create: %v", err)
	}
	for _, ph := range []platformv1.RequestPhase{platformv1.PhaseOpen, platformv1.PhaseMerged, platformv1.PhaseApplied, platformv1.PhaseReady} {
		pr.Status.Phase = ph
		pr.Status.PullRequest = &platformv1.PullRequest{URL: "https://gitea.acme.internal/acme/instance/pulls/4", Number: 4}
		if ph == platformv1.PhaseReady {
			pr.Status.ConnectionSecret = "orders-db-app"
		}
		if err := env.Client.Status().Update(ctx, pr); err != nil {
			t.Fatalf("phase %s: %v", ph, err)
		}
	}
	var back platformv1.PortalRequest
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(pr), &back); err != nil {
		t.Fatal(err)
	}
	if back.Status.Phase != platformv1.PhaseReady || back.Status.ConnectionSecret != "orders-db-app" || back.Status.PullRequest.Number != 4 {
		t.Errorf("status did not round-trip: %+v", back.Status)
	}
}

// Bad objects are refused by the API server with a message naming the field.
func TestValidation(t *testing.T) {
	ctx := context.Background()
	bad := map[string]struct {
		obj  client.Object
		want string
	}{
		"tenant": {&platformv1.PlatformInstance{ObjectMeta: metav1.ObjectMeta{Name: "bad-tenant"},
			Spec: platformv1.PlatformInstanceSpec{Tenant: "Acme!", Regions: []string{"fsn1"}}}, "spec.tenant"},
		"no regions": {&platformv1.PlatformInstance{ObjectMeta: metav1.ObjectMeta{Name: "no-regions"},
			Spec: platformv1.PlatformInstanceSpec{Tenant: "acme", Regions: []string{}}}, "spec.regions"},
		"digest": {&platformv1.PlatformInstance{ObjectMeta: metav1.ObjectMeta{Name: "bad-digest"},
			Spec: platformv1.PlatformInstanceSpec{Tenant: "acme", Regions: []string{"fsn1"}, Components: []platformv1.InstalledComponent{{
				Name: "x", BlueprintVersion: "1.0.0", Releases: []platformv1.ReleaseRef{{Name: "x", Namespace: "x", ValuesDigest: "md5:00"}}}}}},
			"spec.components[0].releases[0].valuesDigest"},
		"support status": {&platformv1.Blueprint{ObjectMeta: metav1.ObjectMeta{Name: "bad-support"},
			Spec: platformv1.BlueprintSpec{Version: "1.0.0", Support: []platformv1.SupportRange{{Versions: ">=1", Status: "maybe"}}}},
			"spec.support[0].status"},
	}
	for name, c := range bad {
		t.Run(name, func(t *testing.T) {
			err := env.Client.Create(ctx, c.obj)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("create: got %v, want an error naming %q", err, c.want)
			}
		})
	}

	// A failed request must say why.
	pr := &platformv1.PortalRequest{ObjectMeta: metav1.ObjectMeta{Name: "failing", Namespace: "default"},
		Spec: platformv1.PortalRequestSpec{Blueprint: "cnpg", RequestedBy: "bob"}}
	if err := env.Client.Create(ctx, pr); err != nil {
		t.Fatal(err)
	}
	pr.Status.Phase = platformv1.PhaseFailed
	err := env.Client.Status().Update(ctx, pr)
	if err == nil || !strings.Contains(err.Error(), "status.reason is required") {
		t.Fatalf("failed without reason: got %v", err)
	}
	pr.Status.Reason = platformv1.ReasonPullRequestClosed
	if err := env.Client.Status().Update(ctx, pr); err != nil {
		t.Fatalf("failed with reason: %v", err)
	}
	// Failed is final.
	pr.Status.Phase, pr.Status.Reason = platformv1.PhaseOpen, ""
	if err := env.Client.Status().Update(ctx, pr); err == nil || !strings.Contains(err.Error(), "Failed is final") {
		t.Fatalf("Failed -> Open: got %v, want refused", err)
	}
}

// Phases only move forward; a ready request cannot go back to open.
func TestPortalRequestPhaseOrder(t *testing.T) {
	ctx := context.Background()
	pr := &platformv1.PortalRequest{ObjectMeta: metav1.ObjectMeta{Name: "ordered", Namespace: "default"},
		Spec: platformv1.PortalRequestSpec{Blueprint: "cnpg", RequestedBy: "carol"}}
	if err := env.Client.Create(ctx, pr); err != nil {
		t.Fatal(err)
	}
	pr.Status.Phase = platformv1.PhaseApplied // skipping a phase the manager missed is allowed
	if err := env.Client.Status().Update(ctx, pr); err != nil {
		t.Fatalf("-> Applied: %v", err)
	}
	pr.Status.Phase = platformv1.PhaseMerged
	if err := env.Client.Status().Update(ctx, pr); err == nil || !strings.Contains(err.Error(), "only moves forward") {
		t.Fatalf("Applied -> Merged: got %v, want refused", err)
	}
	pr.Status.Phase, pr.Status.Reason = platformv1.PhaseFailed, platformv1.ReasonNotReady
	if err := env.Client.Status().Update(ctx, pr); err != nil {
		t.Fatalf("Applied -> Failed: %v", err)
	}
}
