package seed

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/generate"
	"github.com/openova-io/openova/internal/giteatest"
)

func example(t *testing.T, name string) ([]byte, *catalog.Catalog) {
	t.Helper()
	spec, err := os.ReadFile(filepath.Join("..", "..", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load(openova.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	return spec, cat
}

// assertMain: main of the repository holds exactly the generated tree.
func assertMain(t *testing.T, c *forge.Client, r forge.Repo, spec []byte, cat *catalog.Catalog) string {
	t.Helper()
	tree, err := generate.Generate(spec, cat)
	if err != nil {
		t.Fatal(err)
	}
	got, commit, err := c.Snapshot(context.Background(), r, Branch)
	if err != nil {
		t.Fatal(err)
	}
	want := filetree.Checkout(tree)
	if len(got) != len(want) {
		t.Fatalf("main has %d files, the generated tree and its manifest %d", len(got), len(want))
	}
	for p, w := range want {
		if !bytes.Equal(got[p], w) {
			t.Fatalf("%s differs between main and the generated tree", p)
		}
	}
	return commit
}

// Against a real Gitea: the first run creates org and repository, pushes
// the tree and protects main so that even the admin cannot push to it;
// a re-run writes nothing; a rule loosened by hand is put back.
func TestRunSeedsAndProtectsIdempotently(t *testing.T) {
	ctx := context.Background()
	spec, cat := example(t, "two-region.yaml")
	srv := giteatest.Start(t)
	c := srv.Client(t)
	opts := Options{Spec: spec, Catalog: cat, Forge: c, Org: "platform", Repo: "instance", Approvals: 1}
	r := forge.Repo{Owner: "platform", Name: "instance"}

	rep, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Pushed || !rep.Protected || rep.Files == 0 {
		t.Fatalf("first run: %+v, want pushed, protected, files", rep)
	}
	if at := assertMain(t, c, r, spec, cat); at != rep.Commit {
		t.Fatalf("main at %s, report says %s", at, rep.Commit)
	}
	if _, _, err := c.PushTree(ctx, r, Branch, map[string][]byte{"x": []byte("x")}, "direct", Author); err == nil {
		t.Fatal("main is not protected: the admin pushed directly")
	}

	again, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Pushed || again.Protected || again.Commit != rep.Commit {
		t.Fatalf("re-run: %+v, want nothing written and main still %s", again, rep.Commit)
	}

	loose := forge.MainProtection(1, "")
	loose.RequiredApprovals, loose.EnablePush = 0, true
	if err := c.ProtectBranch(ctx, r, loose); err != nil {
		t.Fatal(err)
	}
	if rep, err := Run(ctx, opts); err != nil || !rep.Protected || rep.Pushed {
		t.Fatalf("loosened rule: %+v %v, want it rewritten and nothing pushed", rep, err)
	}
	if _, _, err := c.PushTree(ctx, r, Branch, map[string][]byte{"x": []byte("x")}, "direct", Author); err == nil {
		t.Fatal("rule not restored: the admin pushed directly")
	}
}

func TestRunBadCredentialsNeverShowThePassword(t *testing.T) {
	spec, cat := example(t, "one-region.yaml")
	srv := giteatest.Start(t)
	c, err := forge.New(srv.URL, forge.Credentials{User: srv.AdminUser, Password: "wrong-Secret-42"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), Options{Spec: spec, Catalog: cat, Forge: c, Org: "platform", Repo: "instance", Approvals: 1})
	if err == nil {
		t.Fatal("wrong password accepted")
	}
	if strings.Contains(err.Error(), "wrong-Secret-42") {
		t.Fatalf("error shows the password: %v", err)
	}
	if !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "credentials") {
		t.Fatalf("error %q does not say what to fix", err)
	}
}

func TestRunRejectsBadOptions(t *testing.T) {
	spec, cat := example(t, "one-region.yaml")
	for _, o := range []Options{
		{Spec: spec, Catalog: cat, Org: "", Repo: "instance", Approvals: 1},
		{Spec: spec, Catalog: cat, Org: "platform", Repo: "instance", Approvals: 0},
	} {
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}

// In the standby region the admin user, and only it, may push to main:
// the primary's push mirror signs in as it.
func TestRunStandbyAllowsOnlyTheMirrorToPush(t *testing.T) {
	ctx := context.Background()
	spec, cat := example(t, "two-region.yaml")
	srv := giteatest.Start(t)
	c := srv.Client(t)
	opts := Options{Spec: spec, Catalog: cat, Forge: c, Org: "platform", Repo: "instance", Approvals: 1, MirrorPusher: srv.AdminUser}
	if _, err := Run(ctx, opts); err != nil {
		t.Fatal(err)
	}
	r := forge.Repo{Owner: "platform", Name: "instance"}
	if _, _, err := c.PushTree(ctx, r, Branch, map[string][]byte{"mirrored": []byte("1")}, "mirror", Author); err != nil {
		t.Fatalf("the mirror user's push was refused: %v", err)
	}
	if _, _, err := srv.Reviewer(t).PushTree(ctx, r, Branch, map[string][]byte{"other": []byte("1")}, "other", Author); err == nil {
		t.Fatal("a user off the whitelist pushed to main")
	}
}
