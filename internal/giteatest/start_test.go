package giteatest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/forge"
)

// A fresh server answers as the admin with its token, refuses anonymous
// API reads (sign-in required) and has the reviewer. The start time is
// logged: it is what a package pays per Start.
func TestStartCost(t *testing.T) {
	began := time.Now()
	s := Start(t)
	t.Logf("gitea %s started in %s", Version, time.Since(began).Round(time.Millisecond))
	var me struct {
		Login   string `json:"login"`
		IsAdmin bool   `json:"is_admin"`
	}
	if err := s.call("", "", s.AdminToken, http.MethodGet, "/user", nil, &me); err != nil || me.Login != s.AdminUser || !me.IsAdmin {
		t.Fatalf("admin token: %+v %v", me, err)
	}
	if err := s.call("", "", s.reviewerToken, http.MethodGet, "/user", nil, &me); err != nil || me.Login != ReviewerUser || !me.IsAdmin {
		t.Fatalf("reviewer token: %+v %v", me, err)
	}
	resp, err := http.Get(s.URL + "/api/v1/repos/search")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusForbidden {
		t.Fatalf("anonymous API read: %s, want it refused", resp.Status)
	}
}

// Without the built binary the error says how to build it.
func TestMissingBinaryNamesTheInstallCommand(t *testing.T) {
	t.Setenv("OPENOVA_CACHE", t.TempDir())
	_, err := start(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "hack/testbin/install-gitea.sh") {
		t.Fatalf("missing binary: %v", err)
	}
}

// The reviewer approves and merges a pull request the admin opened,
// and the admin's client sees it merged.
func TestReviewerMerges(t *testing.T) {
	s := Start(t)
	c, ctx := s.Client(t), context.Background()
	r := forge.Repo{Owner: "acme", Name: "instance"}
	if err := c.EnsureOrg(ctx, r.Owner); err != nil {
		t.Fatal(err)
	}
	if err := c.EnsureRepo(ctx, r); err != nil {
		t.Fatal(err)
	}
	who := forge.Signature{Name: "catalyst", Email: "catalyst@example.invalid"}
	if _, _, err := c.PushTree(ctx, r, "main", map[string][]byte{"a": []byte("1")}, "init", who); err != nil {
		t.Fatal(err)
	}
	pr, err := c.Propose(ctx, forge.Change{Repo: r, Base: "main", Branch: "catalyst/a", Title: "a=2", Author: who,
		Files: map[string][]byte{"a": []byte("2")}})
	if err != nil {
		t.Fatal(err)
	}
	s.Merge(t, r, pr.Number)
	if got, err := s.Reviewer(t).PullRequest(ctx, r, pr.Number); err != nil || got.State != forge.PRMerged {
		t.Fatalf("after Merge: %+v %v", got, err)
	}
}
