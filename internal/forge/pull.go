package forge

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"code.gitea.io/sdk/gitea"
	"github.com/go-git/go-git/v5/plumbing"
)

// A Change is a pull request's content: one commit on Branch, made from
// Base's head, writing Files and removing Delete.
type Change struct {
	Repo         Repo
	Base, Branch string
	Title, Body  string
	Author       Signature
	Files        map[string][]byte
	Delete       []string
}

// PRState is a pull request's state.
type PRState string

const (
	PROpen   PRState = "open"
	PRMerged PRState = "merged"
	PRClosed PRState = "closed" // closed without merging
)

// PullRequest is what Catalyst follows of a pull request.
type PullRequest struct {
	Number      int64
	URL         string // the pull request's page
	Branch      string
	State       PRState
	MergeCommit string // once merged
}

// ErrNoChange is returned by Propose when the change leaves Base as it is.
var ErrNoChange = errors.New("the change leaves the base branch as it is")

// Propose pushes the change as one commit on Branch (force-updating it:
// the branch is Catalyst's) and opens a pull request Branch → Base
// unless one is open already. The same change again makes no new commit
// and returns the same pull request. It never approves or merges.
func (c *Client) Propose(ctx context.Context, ch Change) (PullRequest, error) {
	r := ch.Repo
	if ch.Base == "" || ch.Branch == "" || ch.Base == ch.Branch {
		return PullRequest{}, fmt.Errorf("%s: change wants distinct base and branch, got %q and %q", r, ch.Base, ch.Branch)
	}
	l, err := c.open(ctx, r, false, ch.Base, ch.Branch)
	if err != nil {
		return PullRequest{}, err
	}
	base := l.head(ch.Base)
	if base.IsZero() {
		return PullRequest{}, fmt.Errorf("%s: no branch %s to propose a change to", r, ch.Base)
	}
	baseCommit, err := l.repo.CommitObject(base)
	if err != nil {
		return PullRequest{}, err
	}
	files, err := filesOf(baseCommit)
	if err != nil {
		return PullRequest{}, err
	}
	maps.Copy(files, ch.Files)
	for _, p := range ch.Delete {
		delete(files, p)
	}
	tree, err := writeTree(l.st, files)
	if err != nil {
		return PullRequest{}, fmt.Errorf("%s: %w", r, err)
	}
	if tree == baseCommit.TreeHash {
		return PullRequest{}, fmt.Errorf("%s branch %s: %w", r, ch.Base, ErrNoChange)
	}
	if !c.onBranchAlready(l, ch.Branch, base, tree) {
		msg := ch.Title
		if ch.Body != "" {
			msg += "\n\n" + ch.Body
		}
		hash, err := c.commit(l.st, tree, []plumbing.Hash{base}, msg, ch.Author)
		if err != nil {
			return PullRequest{}, err
		}
		if err := c.push(ctx, l, r, ch.Branch, hash, true); err != nil {
			return PullRequest{}, err
		}
	}
	return c.openPR(ctx, ch)
}

// onBranchAlready: Branch holds exactly this change made from this base.
func (c *Client) onBranchAlready(l *local, branch string, base, tree plumbing.Hash) bool {
	head := l.head(branch)
	if head.IsZero() {
		return false
	}
	cm, err := l.repo.CommitObject(head)
	return err == nil && cm.TreeHash == tree && len(cm.ParentHashes) == 1 && cm.ParentHashes[0] == base
}

// openPR returns the open pull request of the branch, opening it if none.
func (c *Client) openPR(ctx context.Context, ch Change) (PullRequest, error) {
	api, r := c.api(ctx), ch.Repo
	for page := 1; ; page++ {
		prs, resp, err := api.ListRepoPullRequests(r.Owner, r.Name, gitea.ListPullRequestsOptions{
			State: gitea.StateOpen, ListOptions: gitea.ListOptions{Page: page, PageSize: 50}})
		if err != nil {
			return PullRequest{}, c.apiErr("pull requests of "+r.String(), resp, err)
		}
		for _, pr := range prs {
			if pr.Head != nil && pr.Base != nil && pr.Head.Ref == ch.Branch && pr.Base.Ref == ch.Base {
				return pullRequestOf(pr), nil
			}
		}
		if len(prs) < 50 {
			break
		}
	}
	pr, resp, err := api.CreatePullRequest(r.Owner, r.Name, gitea.CreatePullRequestOption{
		Head: ch.Branch, Base: ch.Base, Title: ch.Title, Body: ch.Body})
	if err != nil {
		return PullRequest{}, c.apiErr(fmt.Sprintf("open pull request %s → %s in %s", ch.Branch, ch.Base, r), resp, err)
	}
	return pullRequestOf(pr), nil
}

// PullRequest reads a pull request's state: open, merged (with its merge
// commit) or closed without merging.
func (c *Client) PullRequest(ctx context.Context, r Repo, number int64) (PullRequest, error) {
	pr, resp, err := c.api(ctx).GetPullRequest(r.Owner, r.Name, number)
	if err != nil {
		return PullRequest{}, c.apiErr(fmt.Sprintf("pull request #%d of %s", number, r), resp, err)
	}
	return pullRequestOf(pr), nil
}

func pullRequestOf(pr *gitea.PullRequest) PullRequest {
	out := PullRequest{Number: pr.Index, URL: pr.HTMLURL, State: PROpen}
	if pr.Head != nil {
		out.Branch = pr.Head.Ref
	}
	switch {
	case pr.HasMerged:
		out.State = PRMerged
		if pr.MergedCommitID != nil {
			out.MergeCommit = *pr.MergedCommitID
		}
	case strings.EqualFold(string(pr.State), string(gitea.StateClosed)):
		out.State = PRClosed
	}
	return out
}
