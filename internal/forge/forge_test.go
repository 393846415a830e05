package forge_test

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/forge"
)

var bot = forge.Signature{Name: "catalyst", Email: "catalyst@example.invalid"}

// fixedClock dates commits deterministically: equal trees make equal
// commits only through forge's own "unchanged" check, never by luck.
func fixedClock(c *forge.Client) *forge.Client {
	n := 0
	c.SetClock(func() time.Time { n++; return time.Date(2026, 11, 25, 12, 0, n, 0, time.UTC) })
	return c
}

// repo makes a fresh organisation and empty repository for one test.
func repo(t *testing.T, c *forge.Client) forge.Repo {
	t.Helper()
	owner := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(strings.TrimPrefix(t.Name(), "Test")))
	r := forge.Repo{Owner: owner[:min(len(owner), 40)], Name: "instance"}
	ctx := context.Background()
	if err := c.EnsureOrg(ctx, r.Owner); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureRepo(ctx, r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEnsureOrgAndRepoAreIdempotent(t *testing.T) {
	c, ctx := srv.Client(t), context.Background()
	r := repo(t, c)
	for range 2 {
		if err := c.EnsureOrg(ctx, r.Owner); err != nil {
			t.Fatal(err)
		}
		if err := c.EnsureRepo(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	files, commit, err := c.Snapshot(ctx, r, "main")
	if err == nil {
		t.Fatalf("empty repository has main at %s with %d files", commit, len(files))
	}
}

func TestPushTreeTwiceSecondUnchanged(t *testing.T) {
	c, ctx := fixedClock(srv.Client(t)), context.Background()
	r := repo(t, c)
	files := map[string][]byte{"README.md": []byte("hello\n"), "clusters/fsn/a.yaml": []byte("a: 1\n"), "clusters/fsn-x": []byte("x")}
	first, changed, err := c.PushTree(ctx, r, "main", files, "first", bot)
	if err != nil || !changed {
		t.Fatalf("first push: %s %t %v", first, changed, err)
	}
	again, changed, err := c.PushTree(ctx, r, "main", files, "again", bot)
	if err != nil || changed || again != first {
		t.Fatalf("second push: %s changed=%t %v, want unchanged at %s", again, changed, err, first)
	}
	got, at, err := c.Snapshot(ctx, r, "main")
	if err != nil || at != first || !maps.EqualFunc(got, files, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatalf("snapshot at %s (want %s): %v %v", at, first, keys(got), err)
	}
	// A smaller tree replaces the content: dropped files are gone.
	delete(files, "README.md")
	third, changed, err := c.PushTree(ctx, r, "main", files, "drop readme", bot)
	if err != nil || !changed || third == first {
		t.Fatalf("third push: %s %t %v", third, changed, err)
	}
	if got, _, _ := c.Snapshot(ctx, r, "main"); len(got) != 2 || got["README.md"] != nil {
		t.Fatalf("after dropping README.md: %v", keys(got))
	}
	// The first commit is still readable by hash.
	if old, _, err := c.Snapshot(ctx, r, first); err != nil || string(old["README.md"]) != "hello\n" {
		t.Fatalf("snapshot by commit: %v %v", keys(old), err)
	}
}

func TestEnsureTagCreatedPresentConflict(t *testing.T) {
	c, ctx := fixedClock(srv.Client(t)), context.Background()
	r := repo(t, c)
	one, _, err := c.PushTree(ctx, r, "main", map[string][]byte{"v": []byte("1")}, "one", bot)
	if err != nil {
		t.Fatal(err)
	}
	two, _, err := c.PushTree(ctx, r, "main", map[string][]byte{"v": []byte("2")}, "two", bot)
	if err != nil {
		t.Fatal(err)
	}
	if created, err := c.EnsureTag(ctx, r, "v1.0.0", one); err != nil || !created {
		t.Fatalf("create: %t %v", created, err)
	}
	if created, err := c.EnsureTag(ctx, r, "v1.0.0", one); err != nil || created {
		t.Fatalf("again: %t %v, want present", created, err)
	}
	_, err = c.EnsureTag(ctx, r, "v1.0.0", two)
	if err == nil || !strings.Contains(err.Error(), "v1.0.0") || !strings.Contains(err.Error(), one) {
		t.Fatalf("tag at another commit: %v, want an error naming the tag and where it points", err)
	}
	if files, at, err := c.Snapshot(ctx, r, "v1.0.0"); err != nil || at != one || string(files["v"]) != "1" {
		t.Fatalf("snapshot of the tag: %s %v", at, err)
	}
}

func TestProposeMergeAndState(t *testing.T) {
	c, ctx := fixedClock(srv.Client(t)), context.Background()
	r := repo(t, c)
	base, _, err := c.PushTree(ctx, r, "main", map[string][]byte{"keep": []byte("k"), "old": []byte("o")}, "init", bot)
	if err != nil {
		t.Fatal(err)
	}
	ch := forge.Change{Repo: r, Base: "main", Branch: "catalyst/tier1-postgres", Title: "Add a Tier-1 Postgres",
		Body: "Requested in the portal.", Author: bot, Files: map[string][]byte{"apps/pg.yaml": []byte("tier: 1\n")}, Delete: []string{"old"}}
	pr, err := c.Propose(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	if pr.State != forge.PROpen || pr.Number == 0 || pr.Branch != ch.Branch || !strings.HasPrefix(pr.URL, srv.URL) {
		t.Fatalf("proposed: %+v", pr)
	}
	onBranch, head, err := c.Snapshot(ctx, r, ch.Branch)
	if err != nil || string(onBranch["apps/pg.yaml"]) != "tier: 1\n" || onBranch["old"] != nil || string(onBranch["keep"]) != "k" {
		t.Fatalf("branch: %v %v", keys(onBranch), err)
	}
	if main, at, _ := c.Snapshot(ctx, r, "main"); at != base || main["apps/pg.yaml"] != nil {
		t.Fatalf("main moved to %s before any merge: %v", at, keys(main))
	}

	again, err := c.Propose(ctx, ch)
	if err != nil || again != pr {
		t.Fatalf("propose again: %+v %v, want %+v", again, err, pr)
	}
	if _, head2, _ := c.Snapshot(ctx, r, ch.Branch); head2 != head {
		t.Fatalf("propose again made a new commit %s (was %s)", head2, head)
	}

	srv.Merge(t, r, pr.Number)
	merged, err := c.PullRequest(ctx, r, pr.Number)
	if err != nil || merged.State != forge.PRMerged || merged.MergeCommit == "" {
		t.Fatalf("after merge: %+v %v", merged, err)
	}
	if main, at, _ := c.Snapshot(ctx, r, "main"); at != merged.MergeCommit || string(main["apps/pg.yaml"]) != "tier: 1\n" {
		t.Fatalf("main at %s, merge commit %s", at, merged.MergeCommit)
	}

	// A change nobody wants: closed without merging.
	ch2 := ch
	ch2.Branch, ch2.Files, ch2.Delete = "catalyst/unwanted", map[string][]byte{"x": []byte("x")}, nil
	pr2, err := c.Propose(ctx, ch2)
	if err != nil || pr2.Number == pr.Number {
		t.Fatalf("second proposal: %+v %v", pr2, err)
	}
	srv.Close(t, r, pr2.Number)
	if closed, err := c.PullRequest(ctx, r, pr2.Number); err != nil || closed.State != forge.PRClosed || closed.MergeCommit != "" {
		t.Fatalf("closed: %+v %v", closed, err)
	}

	// A change that changes nothing is refused, not proposed.
	ch3 := ch
	ch3.Branch, ch3.Delete = "catalyst/noop", nil
	if _, err := c.Propose(ctx, ch3); err == nil || !strings.Contains(err.Error(), "leaves the base branch as it is") {
		t.Fatalf("no-op change: %v", err)
	}
}

// Four eyes for real: with main protected, the admin's direct push is
// refused by Gitea, while a pull request approved and merged by the
// reviewer lands.
func TestProtectionBlocksDirectPushNotReviewedMerge(t *testing.T) {
	c, ctx := fixedClock(srv.Client(t)), context.Background()
	r := repo(t, c)
	if _, _, err := c.PushTree(ctx, r, "main", map[string][]byte{"a": []byte("1")}, "init", bot); err != nil {
		t.Fatal(err)
	}
	p := forge.MainProtection(1, "")
	if changed, err := c.SetProtection(ctx, r, p); err != nil || !changed {
		t.Fatalf("protect: %t %v", changed, err)
	}
	if changed, err := c.SetProtection(ctx, r, p); err != nil || changed {
		t.Fatalf("protect again: %t %v, want nothing written", changed, err)
	}
	_, _, err := c.PushTree(ctx, r, "main", map[string][]byte{"a": []byte("2")}, "sneak", bot)
	if err == nil {
		t.Fatal("direct push to protected main accepted")
	}
	if !strings.Contains(err.Error(), r.String()) || !strings.Contains(err.Error(), "main") || strings.Contains(err.Error(), srv.AdminToken) {
		t.Fatalf("refused push error %q: want repo and branch named, no token", err)
	}
	pr, err := c.Propose(ctx, forge.Change{Repo: r, Base: "main", Branch: "catalyst/a2", Title: "a=2", Author: bot,
		Files: map[string][]byte{"a": []byte("2")}})
	if err != nil {
		t.Fatal(err)
	}
	srv.Merge(t, r, pr.Number)
	if got, _, _ := c.Snapshot(ctx, r, "main"); string(got["a"]) != "2" {
		t.Fatalf("main after the reviewed merge: a=%q", got["a"])
	}
	// A rule loosened by hand is put back.
	loose := p
	loose.RequiredApprovals = 0
	if err := c.ProtectBranch(ctx, r, loose); err != nil {
		t.Fatal(err)
	}
	if changed, err := c.SetProtection(ctx, r, p); err != nil || !changed {
		t.Fatalf("restore: %t %v", changed, err)
	}
	// Standby: the mirror user, and only it, may push.
	if changed, err := c.SetProtection(ctx, r, forge.MainProtection(1, srv.AdminUser)); err != nil || !changed {
		t.Fatalf("standby rule: %t %v", changed, err)
	}
	if _, _, err := c.PushTree(ctx, r, "main", map[string][]byte{"a": []byte("3")}, "mirror", bot); err != nil {
		t.Fatalf("whitelisted push refused: %v", err)
	}
}

func TestBadCredentialsNamedNeverShown(t *testing.T) {
	ctx := context.Background()
	r := repo(t, srv.Client(t))
	for name, cred := range map[string]forge.Credentials{
		"token":    {Token: "0123456789abcdef-wrong-token"},
		"password": {User: srv.AdminUser, Password: "wrong-Secret-42"},
	} {
		c, err := forge.New(srv.URL, cred, nil)
		if err != nil {
			t.Fatal(err)
		}
		for what, err := range map[string]error{
			"api": c.EnsureRepo(ctx, r),
			"git": func() error {
				_, _, err := c.PushTree(ctx, r, "main", map[string][]byte{"a": nil}, "x", bot)
				return err
			}(),
		} {
			if err == nil {
				t.Errorf("%s/%s: wrong credentials accepted", name, what)
				continue
			}
			if s := err.Error() + fmt.Sprintf("%v %+v %#v", cred, cred, cred); strings.Contains(s, "wrong-token") || strings.Contains(s, "wrong-Secret") {
				t.Errorf("%s/%s: secret shown: %v", name, what, s)
			}
			if !strings.Contains(err.Error(), "credentials") {
				t.Errorf("%s/%s: %v does not say to check the credentials", name, what, err)
			}
		}
	}
	if _, err := forge.New("gitea.example:3000", forge.Credentials{Token: "t"}, nil); err == nil {
		t.Error("URL without scheme accepted")
	}
	if _, err := forge.New("http://u:p@127.0.0.1:1", forge.Credentials{Token: "t"}, nil); err == nil || strings.Contains(err.Error(), "u:p") {
		t.Errorf("URL with user information: %v", err)
	}
}

func keys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// Heads reads branches and tags in one round trip, and TreeHash computes
// locally the tree hash Gitea ends up with for the same files.
func TestHeadsAndTreeHash(t *testing.T) {
	c, ctx := fixedClock(srv.Client(t)), context.Background()
	r := repo(t, c)
	if heads, err := c.Heads(ctx, r, "main", "v1.0.0"); err != nil || len(heads) != 0 {
		t.Fatalf("empty repository: %v %v", heads, err)
	}
	files := map[string][]byte{"blueprint.yaml": []byte("v: 1\n"), "chart/Chart.yaml": []byte("name: x\n"), "chart/templates/a.yaml": nil}
	commit, _, err := c.PushTree(ctx, r, "main", files, "one", bot)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.EnsureTag(ctx, r, "v1.0.0", commit); err != nil {
		t.Fatal(err)
	}
	want, err := forge.TreeHash(files)
	if err != nil {
		t.Fatal(err)
	}
	heads, err := c.Heads(ctx, r, "main", "v1.0.0", "v9.9.9")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"main", "v1.0.0"} {
		if h := heads[n]; h.Commit != commit || h.Tree != want {
			t.Errorf("%s: %+v, want commit %s tree %s", n, h, commit, want)
		}
	}
	if _, ok := heads["v9.9.9"]; ok || len(heads) != 2 {
		t.Fatalf("heads %v: a missing tag must be absent", heads)
	}
	if _, err := forge.TreeHash(map[string][]byte{"../escape": nil}); err == nil {
		t.Error("path ../escape accepted")
	}
}
