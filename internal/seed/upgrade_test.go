package seed

import (
	"context"
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/giteatest"
	"github.com/openova-io/openova/internal/manager/managertest"
	"github.com/openova-io/openova/internal/regen"
)

// The seed pushes the generated-files manifest, so the first day-2 pull
// request on a seeded repository carries only the component's files: the
// manifest is already there, and unchanged by an upgrade that adds or
// removes no file.
func TestSeededRepositoryUpgradesWithoutAddingTheManifest(t *testing.T) {
	ctx := context.Background()
	spec, cat := example(t, "one-region.yaml")
	srv := giteatest.Start(t)
	c := srv.Client(t)
	if _, err := Run(ctx, Options{Spec: spec, Catalog: cat, Forge: c, Org: "platform", Repo: "instance", Approvals: 1}); err != nil {
		t.Fatal(err)
	}
	files, _, err := c.Snapshot(ctx, forge.Repo{Owner: "platform", Name: "instance"}, Branch)
	if err != nil {
		t.Fatal(err)
	}
	listed, err := filetree.ParseManifest(files[filetree.ManifestPath])
	if err != nil || len(listed) != len(files)-1 {
		t.Fatalf("main's manifest lists %d paths (%v), main has %d generated files", len(listed), err, len(files)-1)
	}

	ch, err := regen.Upgrade(files, managertest.Newer(t, "cert-manager"), "cert-manager", managertest.NewVersion)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Empty() {
		t.Fatal("the upgrade changed nothing")
	}
	if _, ok := ch.Files[filetree.ManifestPath]; ok {
		t.Errorf("the upgrade writes %s: the seed did not push it", filetree.ManifestPath)
	}
	for p := range ch.Files {
		if !strings.Contains(p, "/cert-manager/") && !managertest.LockOrTwin(p) {
			t.Errorf("%s changed by an upgrade of cert-manager", p)
		}
	}
	if len(ch.Delete) != 0 {
		t.Errorf("the upgrade deletes %v", ch.Delete)
	}
}
