package seed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/generate"
)

var clock = func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) }

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

// The pushed commit holds exactly the generated tree, and pushing the
// same tree again makes no commit.
func TestPushTreeToBareRepository(t *testing.T) {
	ctx := context.Background()
	spec, cat := example(t, "two-region.yaml")
	tree, err := generate.Generate(spec, cat)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := git.PlainInit(dir, true); err != nil {
		t.Fatal(err)
	}
	url := "file://" + dir
	c := Commit{Message: "seed", AuthorName: "catalyst seed", AuthorEmail: "seed@example.invalid", When: clock()}
	first, err := PushTree(ctx, url, nil, tree, c)
	if err != nil {
		t.Fatal(err)
	}
	if !first.Changed {
		t.Fatal("first push into an empty repository reported no change")
	}
	assertTree(t, url, tree.Paths(), func(p string) []byte { b, _ := tree.Get(p); return b })

	again, err := PushTree(ctx, url, nil, tree, c)
	if err != nil {
		t.Fatal(err)
	}
	if again.Changed || again.Hash != first.Hash {
		t.Fatalf("re-run: changed=%t hash %s, want no change at %s", again.Changed, again.Hash, first.Hash)
	}

	// A smaller tree (one region) replaces the content: files no longer
	// generated are removed from main.
	spec1, _ := example(t, "one-region.yaml")
	tree1, err := generate.Generate(spec1, cat)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := PushTree(ctx, url, nil, tree1, c); err != nil || !res.Changed {
		t.Fatalf("push of another tree: changed=%t err=%v", res.Changed, err)
	}
	assertTree(t, url, tree1.Paths(), func(p string) []byte { b, _ := tree1.Get(p); return b })
}

func assertTree(t *testing.T, url string, paths []string, get func(string) []byte) {
	t.Helper()
	got, err := ReadTree(context.Background(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g := Paths(got); strings.Join(g, "\n") != strings.Join(paths, "\n") {
		t.Fatalf("commit has %d files, generated tree %d", len(g), len(paths))
	}
	for _, p := range paths {
		if !bytes.Equal(got[p], get(p)) {
			t.Fatalf("%s differs between the commit and the generated tree", p)
		}
	}
}

// fakeGitea implements the Gitea endpoints the seed calls (GET/POST
// orgs, repos, branch_protections; PATCH branch_protections) as the
// Gitea API documents them, and serves Git smart HTTP with the real
// `git http-backend`. A fake, because no Gitea server runs here: the
// real one comes with the day-2 issue.
type fakeGitea struct {
	mu          sync.Mutex
	root        string
	user, pass  string
	orgs, repos map[string]bool
	protections map[string]map[string]any
	writes      []string // method and path of every API write
}

func newFakeGitea(t *testing.T) (*fakeGitea, *httptest.Server) {
	f := &fakeGitea{root: t.TempDir(), user: "gitea-admin", pass: "s3cret-Pa55",
		orgs: map[string]bool{}, repos: map[string]bool{}, protections: map[string]map[string]any{}}
	backend, err := exec.LookPath("git")
	if err != nil {
		t.Fatalf("git is needed to serve Git over HTTP: %v", err)
	}
	git := &cgi.Handler{Path: backend, Args: []string{"http-backend"},
		Env: []string{"GIT_PROJECT_ROOT=" + f.root, "GIT_HTTP_EXPORT_ALL=1", "REMOTE_USER=gitea-admin"}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != f.user || p != f.pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="gitea"`)
			http.Error(w, `{"message":"unauthorized"}`, http.StatusUnauthorized)
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/api/v1/") {
			git.ServeHTTP(w, r)
			return
		}
		f.api(t, w, r)
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeGitea) api(t *testing.T, w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := strings.TrimPrefix(r.URL.Path, "/api/v1")
	var body map[string]any
	if r.Method != http.MethodGet {
		f.writes = append(f.writes, r.Method+" "+p)
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, err.Error(), http.StatusUnprocessableEntity)
			return
		}
	}
	parts := strings.Split(strings.Trim(p, "/"), "/")
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case r.Method == http.MethodGet && len(parts) == 2 && parts[0] == "orgs":
		if !f.orgs[parts[1]] {
			reply(404, map[string]any{"message": "not found"})
			return
		}
		reply(200, map[string]any{"username": parts[1]})
	case r.Method == http.MethodPost && p == "/orgs":
		f.orgs[body["username"].(string)] = true
		reply(201, body)
	case r.Method == http.MethodPost && len(parts) == 3 && parts[0] == "orgs" && parts[2] == "repos":
		if !f.orgs[parts[1]] {
			reply(404, map[string]any{"message": "org not found"})
			return
		}
		name := body["name"].(string)
		f.repos[parts[1]+"/"+name] = true
		dir := filepath.Join(f.root, parts[1], name+".git")
		if _, err := git.PlainInit(dir, true); err != nil {
			t.Error(err)
		}
		// http-backend accepts pushes only with receivepack enabled.
		if out, err := exec.Command("git", "-C", dir, "config", "http.receivepack", "true").CombinedOutput(); err != nil {
			t.Errorf("%v: %s", err, out)
		}
		reply(201, body)
	case r.Method == http.MethodGet && len(parts) == 3 && parts[0] == "repos":
		if !f.repos[parts[1]+"/"+parts[2]] {
			reply(404, map[string]any{"message": "not found"})
			return
		}
		reply(200, map[string]any{"full_name": parts[1] + "/" + parts[2]})
	case len(parts) >= 4 && parts[0] == "repos" && parts[3] == "branch_protections":
		key := parts[1] + "/" + parts[2]
		switch {
		case r.Method == http.MethodGet && len(parts) == 5:
			if bp, ok := f.protections[key+"/"+parts[4]]; ok {
				reply(200, bp)
				return
			}
			reply(404, map[string]any{"message": "not found"})
		case r.Method == http.MethodPost && len(parts) == 4:
			body["created_at"] = "2026-11-25T12:00:00Z" // Gitea returns more than it takes
			f.protections[key+"/"+body["rule_name"].(string)] = body
			reply(201, body)
		case r.Method == http.MethodPatch && len(parts) == 5:
			bp := f.protections[key+"/"+parts[4]]
			for k, v := range body {
				bp[k] = v
			}
			reply(200, bp)
		default:
			reply(405, nil)
		}
	default:
		reply(404, map[string]any{"message": "no such endpoint in the fake"})
	}
}

func TestRunSeedsAndProtectsIdempotently(t *testing.T) {
	ctx := context.Background()
	spec, cat := example(t, "two-region.yaml")
	f, srv := newFakeGitea(t)
	g := &Gitea{BaseURL: srv.URL, User: f.user, Password: f.pass}
	opts := Options{Spec: spec, Catalog: cat, Gitea: g, Org: "platform", Repo: "instance", Approvals: 1, Now: clock}

	rep, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Pushed || !rep.Protected || rep.Files == 0 {
		t.Fatalf("first run: %+v, want pushed, protected, files", rep)
	}
	tree, _ := generate.Generate(spec, cat)
	got, err := ReadTree(ctx, srv.URL+"/platform/instance.git", nil)
	if err == nil {
		t.Fatalf("read without credentials succeeded (%d files); the fake must require them", len(got))
	}
	url := "file://" + filepath.Join(f.root, "platform", "instance.git")
	assertTree(t, url, tree.Paths(), func(p string) []byte { b, _ := tree.Get(p); return b })

	bp := f.protections["platform/instance/main"]
	for k, want := range map[string]any{"enable_push": false, "required_approvals": float64(1), "block_on_rejected_reviews": true,
		"block_on_official_review_requests": true, "dismiss_stale_approvals": true, "branch_name": "main"} {
		if bp[k] != want {
			t.Errorf("branch protection %s = %v, want %v", k, bp[k], want)
		}
	}
	wantWrites := []string{"POST /orgs", "POST /orgs/platform/repos", "POST /repos/platform/instance/branch_protections"}
	if strings.Join(f.writes, ",") != strings.Join(wantWrites, ",") {
		t.Fatalf("API writes %v, want %v", f.writes, wantWrites)
	}

	again, err := Run(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.Pushed || again.Protected || again.Commit != rep.Commit {
		t.Fatalf("re-run: %+v, want nothing written and main still %s", again, rep.Commit)
	}
	if len(f.writes) != len(wantWrites) {
		t.Fatalf("re-run wrote through the API: %v", f.writes[len(wantWrites):])
	}

	// A rule changed by hand (approvals lowered) is put back with PATCH.
	f.protections["platform/instance/main"]["required_approvals"] = float64(0)
	if rep, err := Run(ctx, opts); err != nil || !rep.Protected {
		t.Fatalf("drifted rule: %+v %v, want it rewritten", rep, err)
	}
	if last := f.writes[len(f.writes)-1]; last != "PATCH /repos/platform/instance/branch_protections/main" {
		t.Fatalf("last write %s, want the PATCH of the rule", last)
	}
}

func TestRunBadCredentialsNeverShowThePassword(t *testing.T) {
	spec, cat := example(t, "one-region.yaml")
	_, srv := newFakeGitea(t)
	g := &Gitea{BaseURL: srv.URL, User: "gitea-admin", Password: "wrong-Secret-42"}
	_, err := Run(context.Background(), Options{Spec: spec, Catalog: cat, Gitea: g, Org: "platform", Repo: "instance", Approvals: 1, Now: clock})
	if err == nil {
		t.Fatal("wrong password accepted")
	}
	if strings.Contains(err.Error(), "wrong-Secret-42") {
		t.Fatalf("error shows the password: %v", err)
	}
	if !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "admin credentials") {
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
	spec, cat := example(t, "two-region.yaml")
	f, srv := newFakeGitea(t)
	g := &Gitea{BaseURL: srv.URL, User: f.user, Password: f.pass}
	opts := Options{Spec: spec, Catalog: cat, Gitea: g, Org: "platform", Repo: "instance", Approvals: 1, Standby: true, Now: clock}
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	bp := f.protections["platform/instance/main"]
	if bp["enable_push"] != true || bp["enable_push_whitelist"] != true || fmt.Sprint(bp["push_whitelist_usernames"]) != "[gitea-admin]" {
		t.Fatalf("standby protection %v, want push allowed to gitea-admin only", bp)
	}
	// Gitea answers null for an empty whitelist; that is no drift.
	delete(f.protections["platform/instance/main"], "push_whitelist_usernames")
	opts.Standby = false
	f.protections["platform/instance/main"]["enable_push"] = false
	f.protections["platform/instance/main"]["enable_push_whitelist"] = false
	if rep, err := Run(context.Background(), opts); err != nil || rep.Protected {
		t.Fatalf("null whitelist read as drift: %+v %v", rep, err)
	}
}
