package manager_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/manager"
)

// A newer Blueprint version than the lock's is announced on the Blueprint's
// status; publishing the installed version again clears it.
func TestUpgradeAnnounced(t *testing.T) {
	ctx := context.Background()
	bp := &platformv1.Blueprint{ObjectMeta: metav1.ObjectMeta{Name: "keda"}, Spec: platformv1.BlueprintSpec{Version: "1.1.0",
		Changelog: []platformv1.ChangelogEntry{{Version: "1.1.0", Date: "2026-11-20", Changes: []string{"KEDA 2.19"}}}}}
	if err := env.Client.Create(ctx, bp); err != nil {
		t.Fatal(err)
	}
	pi := &platformv1.PlatformInstance{ObjectMeta: metav1.ObjectMeta{Name: "upgrades"}, Spec: platformv1.PlatformInstanceSpec{
		Tenant: "upgrades", Regions: []string{"fsn1"},
		Components: []platformv1.InstalledComponent{{Name: "keda", BlueprintVersion: "1.0.0"}}}}
	if err := env.Client.Create(ctx, pi); err != nil {
		t.Fatal(err)
	}
	r := &manager.Reconciler{Client: env.Client, Now: func() time.Time { return time.Unix(1_800_000_000, 0) }}
	reconcileAndGet := func() *metav1.Condition {
		t.Helper()
		if _, err := r.Reconcile(ctx, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(pi)}); err != nil {
			t.Fatal(err)
		}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(bp), bp); err != nil {
			t.Fatal(err)
		}
		return meta.FindStatusCondition(bp.Status.Conditions, platformv1.ConditionUpgradeAvailable)
	}
	c := reconcileAndGet()
	if bp.Status.InstalledVersion != "1.0.0" || c == nil || c.Status != metav1.ConditionTrue || c.Reason != platformv1.ReasonNewerVersion {
		t.Fatalf("installed %q, UpgradeAvailable %+v; want 1.0.0 and True/NewerVersion", bp.Status.InstalledVersion, c)
	}
	bp.Spec.Version = "1.0.0"
	if err := env.Client.Update(ctx, bp); err != nil {
		t.Fatal(err)
	}
	if c := reconcileAndGet(); c.Status != metav1.ConditionFalse || c.Reason != platformv1.ReasonUpToDate {
		t.Errorf("after publishing the installed version: %+v, want False/UpToDate", c)
	}
}
