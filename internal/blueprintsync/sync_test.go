package blueprintsync

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/catalog/catalogtest"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/giteatest"
)

// One real Gitea for the package; each test syncs into its own organisation.
var srv *giteatest.Server

func TestMain(m *testing.M) { giteatest.Main(m, func(s *giteatest.Server) { srv = s }) }

func syncInto(t *testing.T, c *forge.Client, cat *catalog.Catalog, org string) ([]Result, error) {
	t.Helper()
	p, err := NewPlan(cat, org)
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	res, err := Apply(context.Background(), c, p, DefaultWorkers)
	t.Logf("sync of %d repositories into %s took %s", len(p.Repos), org, time.Since(began).Round(time.Millisecond))
	return res, err
}

// The whole embedded catalog: every repository created and every
// blueprint tagged; the second run changes nothing, which the server's
// own heads confirm.
func TestSyncTwiceChangesNothingTheSecondTime(t *testing.T) {
	c, cat := srv.Client(t), embedded(t)
	first, err := syncInto(t, c, cat, "twice")
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 61 {
		t.Fatalf("%d results, want 52 blueprints + 9 products", len(first))
	}
	for _, r := range first {
		wantTag := TagCreated
		if r.Kind == KindProduct {
			wantTag = TagNone
		}
		if r.State != RepoCreated || r.TagDone != wantTag || r.Commit == "" {
			t.Fatalf("first run: %+v", r)
		}
	}
	second, err := syncInto(t, c, cat, "twice")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range second {
		wantTag := TagPresent
		if r.Kind == KindProduct {
			wantTag = TagNone
		}
		if r.State != RepoUnchanged || r.TagDone != wantTag || r.Commit != first[i].Commit {
			t.Fatalf("second run: %+v, want unchanged at %s", r, first[i].Commit)
		}
	}
	for _, r := range first {
		name := strings.TrimPrefix(r.Repo, "twice/")
		heads, err := c.Heads(context.Background(), forge.Repo{Owner: "twice", Name: name}, Branch, r.Tag)
		if err != nil {
			t.Fatal(err)
		}
		if heads[Branch].Commit != r.Commit || (r.Tag != "" && heads[r.Tag].Commit != r.Commit) {
			t.Fatalf("%s on the server: %v, want main and %s at %s", r.Repo, heads, r.Tag, r.Commit)
		}
	}
	// What the customer's Flux fetches at the tag is the blueprint's directory.
	files, _, err := c.Snapshot(context.Background(), forge.Repo{Owner: "twice", Name: "llm-gateway"}, "v"+mustBlueprint(t, cat, "llm-gateway").Spec.Version)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := fs.ReadFile(openova.Catalog, "platform/llm-gateway/chart/Chart.yaml")
	if string(files["chart/Chart.yaml"]) != string(want) {
		t.Fatalf("chart/Chart.yaml at the tag differs from the catalog's")
	}
}

// A blueprint changed with its version bumped: only its repository gets a
// commit and the new tag. Changed again without a bump: the clear error,
// and nothing written. A part of the catalog is enough here (the full
// one is synced above).
func TestChangedBlueprintNeedsAVersionBump(t *testing.T) {
	c := srv.Client(t)
	dir := catalogtest.Checkout(t, "platform/cilium", "platform/cert-manager", "platform/llm-gateway",
		"platform/failover-controller", "products/axon", "products/core")
	first, err := syncInto(t, c, load(t, dir), "bump")
	if err != nil {
		t.Fatal(err)
	}

	edit(t, dir, "platform/cilium/blueprint.yaml",
		"  version: 1.0.0\n  changelog:\n", "  version: 1.0.1\n  changelog:\n    - version: 1.0.1\n      date: \"2026-11-26\"\n      changes: [\"Hubble UI off by default.\"]\n")
	second, err := syncInto(t, c, load(t, dir), "bump")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range second {
		if r.Repo != "bump/cilium" {
			if r.State != RepoUnchanged || r.Commit != first[i].Commit {
				t.Fatalf("%s: %+v, want unchanged", r.Repo, r)
			}
			continue
		}
		if r.State != RepoUpdated || r.Tag != "v1.0.1" || r.TagDone != TagCreated || r.Commit == first[i].Commit {
			t.Fatalf("cilium after the bump: %+v", r)
		}
	}
	cilium := forge.Repo{Owner: "bump", Name: "cilium"}
	heads, err := c.Heads(context.Background(), cilium, "v1.0.0", "v1.0.1", Branch)
	if err != nil || heads["v1.0.0"].Tree == heads["v1.0.1"].Tree || heads[Branch] != heads["v1.0.1"] {
		t.Fatalf("cilium heads %v %v: want v1.0.0 kept, v1.0.1 = main", heads, err)
	}

	edit(t, dir, "platform/cilium/blueprint.yaml", "Hubble UI off by default.", "Hubble UI off by default, relay too.")
	third, err := syncInto(t, c, load(t, dir), "bump")
	if !errors.Is(err, ErrTagConflict) {
		t.Fatalf("content change without a bump: %v, want ErrTagConflict", err)
	}
	for _, want := range []string{"cilium", "v1.0.1", "bump spec.version in platform/cilium/blueprint.yaml"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	failed := 0
	for _, r := range third {
		if r.State == RepoFailed {
			failed++
		}
	}
	if failed != 1 {
		t.Fatalf("%d repositories failed, want only cilium", failed)
	}
	after, _ := c.Heads(context.Background(), cilium, Branch)
	if after[Branch] != heads[Branch] {
		t.Fatalf("cilium main moved to %v despite the refused sync", after[Branch])
	}
}

func TestWrongTokenIsNamedNotShown(t *testing.T) {
	c, err := forge.New(srv.URL, forge.Credentials{Token: "not-a-token-0123456789"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = syncInto(t, c, embedded(t), "denied")
	if err == nil || strings.Contains(err.Error(), "not-a-token") || !strings.Contains(err.Error(), "credentials") {
		t.Fatalf("wrong token: %v", err)
	}
}

func mustBlueprint(t *testing.T, cat *catalog.Catalog, name string) *catalog.Blueprint {
	b, ok := cat.Blueprint(name)
	if !ok {
		t.Fatalf("no blueprint %s", name)
	}
	return b
}

func load(t *testing.T, dir string) *catalog.Catalog {
	t.Helper()
	cat, err := catalog.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func edit(t *testing.T, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, file)
	data, err := os.ReadFile(p)
	if err != nil || !strings.Contains(string(data), old) {
		t.Fatalf("%s: %q not found (%v)", file, old, err)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}
