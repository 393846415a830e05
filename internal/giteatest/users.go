package giteatest

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"code.gitea.io/sdk/gitea"

	"github.com/openova-io/openova/internal/forge"
)

// Client is a forge client acting as the admin: the identity Catalyst
// uses in the customer's Gitea.
func (s *Server) Client(t testing.TB) *forge.Client {
	t.Helper()
	return s.client(t, forge.Credentials{Token: s.AdminToken, User: s.AdminUser})
}

// Reviewer is a forge client acting as the second user, the human who
// approves and merges.
func (s *Server) Reviewer(t testing.TB) *forge.Client {
	t.Helper()
	return s.client(t, forge.Credentials{Token: s.reviewerToken, User: ReviewerUser})
}

func (s *Server) client(t testing.TB, cred forge.Credentials) *forge.Client {
	c, err := forge.New(s.URL, cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Merge approves and merges the pull request as the reviewer: the human
// step of four-eyes change control. It waits for Gitea's asynchronous
// mergeability check first.
func (s *Server) Merge(t testing.TB, r forge.Repo, number int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	api, err := gitea.NewClient(s.URL, gitea.SetToken(s.reviewerToken), gitea.SetContext(ctx), gitea.SetGiteaVersion(""))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.CreatePullReview(r.Owner, r.Name, number, gitea.CreatePullReviewOptions{
		State: gitea.ReviewStateApproved, Body: "Reviewed (giteatest)"}); err != nil {
		t.Fatalf("approve %s#%d as %s: %v", r, number, ReviewerUser, err)
	}
	for {
		ok, resp, err := api.MergePullRequest(r.Owner, r.Name, number, gitea.MergePullRequestOption{Style: gitea.MergeStyleMerge})
		if ok && err == nil {
			return
		}
		// 405 "Please try again later": the mergeability check is still running.
		retry := resp != nil && resp.StatusCode == http.StatusMethodNotAllowed && err != nil && strings.Contains(err.Error(), "try again")
		if !retry || ctx.Err() != nil {
			t.Fatalf("merge %s#%d as %s: ok=%t %v", r, number, ReviewerUser, ok, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Close closes a pull request without merging it, as the reviewer.
func (s *Server) Close(t testing.TB, r forge.Repo, number int64) {
	t.Helper()
	api, err := gitea.NewClient(s.URL, gitea.SetToken(s.reviewerToken), gitea.SetGiteaVersion(""))
	if err != nil {
		t.Fatal(err)
	}
	closed := gitea.StateClosed
	if _, _, err := api.EditPullRequest(r.Owner, r.Name, number, gitea.EditPullRequestOption{State: &closed}); err != nil {
		t.Fatalf("close %s#%d: %v", r, number, err)
	}
}
