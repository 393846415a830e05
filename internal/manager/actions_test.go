package manager_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/giteatest"
	"github.com/openova-io/openova/internal/instance"
	"github.com/openova-io/openova/internal/manager"
	"github.com/openova-io/openova/internal/manager/managertest"
)

// Against a real Gitea and kube-apiserver: the catalog's Blueprints are
// published; "Upgrade cert-manager" opens a pull request whose branch
// differs from main only in cert-manager's files and the lock, records it
// on the Blueprint, and is not merged; asking again returns the same pull
// request; enable pack and add region open theirs.
func TestActionsOpenPullRequests(t *testing.T) {
	ctx := context.Background()
	srv := giteatest.Start(t)
	fc := srv.Client(t)
	repo := forge.Repo{Owner: "acme", Name: "instance"}
	managertest.Seed(t, fc, repo, managertest.Files(t, "../..", "one-region", managertest.Embedded(t)))

	cat := managertest.Newer(t, "cert-manager", "keda")
	t.Cleanup(func() { // other tests create their own Blueprints
		if err := env.Client.DeleteAllOf(ctx, &platformv1.Blueprint{}); err != nil {
			t.Error(err)
		}
	})
	if n, err := manager.PublishBlueprints(ctx, env.Client, cat); err != nil || n != len(cat.Blueprints) {
		t.Fatalf("published %d of %d: %v", n, len(cat.Blueprints), err)
	}
	if _, err := manager.PublishBlueprints(ctx, env.Client, cat); err != nil {
		t.Fatalf("publishing again: %v", err)
	}
	a := &manager.Actions{Forge: fc, Repo: repo, Base: "main", Catalog: cat, Client: env.Client,
		Author: forge.Signature{Name: "Catalyst", Email: "catalyst@acme.example.com"}}

	pr, err := a.Upgrade(ctx, "cert-manager")
	if err != nil {
		t.Fatal(err)
	}
	if pr.State != forge.PROpen || pr.Branch != "catalyst/upgrade-cert-manager-9.9.9" {
		t.Fatalf("pull request %+v", pr)
	}
	main, _, err := fc.Snapshot(ctx, repo, "main")
	if err != nil {
		t.Fatal(err)
	}
	branch, _, err := fc.Snapshot(ctx, repo, pr.Branch)
	if err != nil {
		t.Fatal(err)
	}
	changed := managertest.Changed(main, branch)
	if !slices.Contains(changed, "openova.lock") || len(changed) < 2 {
		t.Errorf("changed %v", changed)
	}
	for _, p := range changed {
		if !managertest.LockOrTwin(p) && !strings.Contains(p, "/cert-manager/") {
			t.Errorf("%s changed by the cert-manager upgrade", p)
		}
	}
	var bp platformv1.Blueprint
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "cert-manager"}, &bp); err != nil {
		t.Fatal(err)
	}
	if u := bp.Status.UpgradePullRequest; u == nil || u.Version != "9.9.9" || u.Number != pr.Number || u.URL != pr.URL {
		t.Errorf("Blueprint status records %+v, want #%d", u, pr.Number)
	}
	again, err := a.Upgrade(ctx, "cert-manager")
	if err != nil || again.Number != pr.Number {
		t.Errorf("upgrading again: #%d, %v; want the same #%d", again.Number, err, pr.Number)
	}

	enable, err := a.EnablePack(ctx, "relay")
	if err != nil || enable.Branch != "catalyst/enable-relay" {
		t.Fatalf("enable relay: %+v %v", enable, err)
	}
	region, err := a.AddRegion(ctx, instance.Region{Name: "hel", Location: "hel1",
		ControlPlane: instance.ControlPlane{Count: 1, ServerType: "cpx31"},
		WorkerPools:  []instance.WorkerPool{{Name: "default", ServerType: "cpx41", Count: 3}}})
	if err != nil || region.Branch != "catalyst/add-region-hel" {
		t.Fatalf("add region: %+v %v", region, err)
	}
	if _, err := a.EnablePack(ctx, "cilium"); !errors.Is(err, manager.ErrNothingToChange) {
		t.Errorf("enabling an installed component: %v, want ErrNothingToChange", err)
	}

	// The reviewer merges; the upgrade is on main and asking again opens nothing.
	srv.Merge(t, repo, pr.Number)
	if got, err := fc.PullRequest(ctx, repo, pr.Number); err != nil || got.State != forge.PRMerged {
		t.Fatalf("after the merge: %+v %v", got, err)
	}
	if _, err := a.Upgrade(ctx, "cert-manager"); !errors.Is(err, manager.ErrNothingToChange) {
		t.Errorf("upgrade after the merge: %v, want ErrNothingToChange", err)
	}
}
