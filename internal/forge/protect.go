package forge

import (
	"context"
	"fmt"
	"reflect"
	"slices"

	"code.gitea.io/sdk/gitea"
)

// Protection is a branch's rule: whether anyone may push directly, the
// approvals required, and what blocks a merge (a rejected review, a
// pending official review request — Gitea requests the CODEOWNERS'
// review as official —, approvals older than the last push, a branch
// behind its base).
// The field names and JSON keys are Gitea's.
type Protection struct {
	BranchName                    string `json:"branch_name"`
	RuleName                      string `json:"rule_name"` // BranchName when empty
	EnablePush                    bool   `json:"enable_push"`
	RequiredApprovals             int64  `json:"required_approvals"`
	BlockOnRejectedReviews        bool   `json:"block_on_rejected_reviews"`
	BlockOnOfficialReviewRequests bool   `json:"block_on_official_review_requests"`
	DismissStaleApprovals         bool   `json:"dismiss_stale_approvals"`
	BlockOnOutdatedBranch         bool   `json:"block_on_outdated_branch"`
	// The push whitelist is only set in the standby region: the primary's
	// Gitea push-mirrors main there as the admin user.
	EnablePushWhitelist    bool     `json:"enable_push_whitelist"`
	PushWhitelistUsernames []string `json:"push_whitelist_usernames"`
}

// MainProtection is the rule on an instance repository's main branch:
// no direct push (every change is a pull request) and approvals
// required. mirrorPusher, when set (standby region), is the one user
// allowed to push: the primary region's push mirror.
func MainProtection(approvals int, mirrorPusher string) Protection {
	p := Protection{
		BranchName: "main", RuleName: "main", RequiredApprovals: int64(approvals), BlockOnRejectedReviews: true,
		BlockOnOfficialReviewRequests: true, DismissStaleApprovals: true, BlockOnOutdatedBranch: true,
	}
	if mirrorPusher != "" {
		p.EnablePush, p.EnablePushWhitelist, p.PushWhitelistUsernames = true, true, []string{mirrorPusher}
	}
	return p
}

// ProtectBranch sets the rule, creating it, or editing it only where it
// differs; running it again changes nothing.
func (c *Client) ProtectBranch(ctx context.Context, r Repo, p Protection) error {
	_, err := c.SetProtection(ctx, r, p)
	return err
}

// SetProtection is ProtectBranch reporting whether it wrote anything.
func (c *Client) SetProtection(ctx context.Context, r Repo, p Protection) (bool, error) {
	if p.RuleName == "" {
		p.RuleName = p.BranchName
	}
	if p.BranchName == "" {
		return false, fmt.Errorf("branch protection of %s: BranchName is empty", r)
	}
	api := c.api(ctx)
	what := "branch protection of " + r.String() + " rule " + p.RuleName
	have, resp, err := api.GetBranchProtection(r.Owner, r.Name, p.RuleName)
	switch {
	case notFound(resp):
		_, resp, err = api.CreateBranchProtection(r.Owner, r.Name, gitea.CreateBranchProtectionOption{
			BranchName: p.BranchName, RuleName: p.RuleName, EnablePush: p.EnablePush,
			EnablePushWhitelist: p.EnablePushWhitelist, PushWhitelistUsernames: nonNil(p.PushWhitelistUsernames),
			RequiredApprovals: p.RequiredApprovals, BlockOnRejectedReviews: p.BlockOnRejectedReviews,
			BlockOnOfficialReviewRequests: p.BlockOnOfficialReviewRequests, DismissStaleApprovals: p.DismissStaleApprovals,
			BlockOnOutdatedBranch: p.BlockOnOutdatedBranch,
		})
		if err != nil {
			return false, c.apiErr("create "+what, resp, err)
		}
		return true, nil
	case err != nil:
		return false, c.apiErr(what, resp, err)
	}
	if same(protectionOf(have), p) {
		return false, nil
	}
	_, resp, err = api.EditBranchProtection(r.Owner, r.Name, p.RuleName, gitea.EditBranchProtectionOption{
		EnablePush: &p.EnablePush, EnablePushWhitelist: &p.EnablePushWhitelist,
		PushWhitelistUsernames: nonNil(p.PushWhitelistUsernames), RequiredApprovals: &p.RequiredApprovals,
		BlockOnRejectedReviews: &p.BlockOnRejectedReviews, BlockOnOfficialReviewRequests: &p.BlockOnOfficialReviewRequests,
		DismissStaleApprovals: &p.DismissStaleApprovals, BlockOnOutdatedBranch: &p.BlockOnOutdatedBranch,
	})
	if err != nil {
		return false, c.apiErr("edit "+what, resp, err)
	}
	return true, nil
}

// same compares two rules; Gitea answers null or [] for an empty
// whitelist, in its own order.
func same(a, b Protection) bool {
	a.PushWhitelistUsernames, b.PushWhitelistUsernames = sorted(a.PushWhitelistUsernames), sorted(b.PushWhitelistUsernames)
	return reflect.DeepEqual(a, b)
}

func sorted(s []string) []string {
	s = slices.Clone(nonNil(s))
	slices.Sort(s)
	return s
}

func protectionOf(b *gitea.BranchProtection) Protection {
	return Protection{
		BranchName: b.BranchName, RuleName: b.RuleName, EnablePush: b.EnablePush, RequiredApprovals: b.RequiredApprovals,
		BlockOnRejectedReviews: b.BlockOnRejectedReviews, BlockOnOfficialReviewRequests: b.BlockOnOfficialReviewRequests,
		DismissStaleApprovals: b.DismissStaleApprovals, BlockOnOutdatedBranch: b.BlockOnOutdatedBranch,
		EnablePushWhitelist: b.EnablePushWhitelist, PushWhitelistUsernames: b.PushWhitelistUsernames,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
