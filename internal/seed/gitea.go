package seed

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
)

// Gitea calls the documented Gitea REST API (/api/v1) as the admin user.
// The password is sent only in the Authorization header, never in an
// error or log line.
type Gitea struct {
	BaseURL  string // e.g. http://gitea-http.gitea.svc:3000
	User     string
	Password string
	HTTP     *http.Client
}

// Protection is the main branch's rule: no direct push (every change is
// a pull request), the required approvals, merges blocked by a rejected
// review, by a pending official review request (Gitea requests the
// CODEOWNERS' review as official, so the owners of a path must approve)
// and by approvals older than the last push.
type Protection struct {
	BranchName                    string `json:"branch_name"`
	RuleName                      string `json:"rule_name"`
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

// MainProtection is the rule `catalyst seed` sets on main. mirrorPusher,
// when set (standby region), is the one user allowed to push: the
// primary region's push mirror; nobody else pushes directly.
func MainProtection(approvals int, mirrorPusher string) Protection {
	p := Protection{
		BranchName: Branch, RuleName: Branch, EnablePush: false,
		RequiredApprovals: int64(approvals), BlockOnRejectedReviews: true,
		BlockOnOfficialReviewRequests: true, DismissStaleApprovals: true, BlockOnOutdatedBranch: true,
		PushWhitelistUsernames: []string{},
	}
	if mirrorPusher != "" {
		p.EnablePush, p.EnablePushWhitelist, p.PushWhitelistUsernames = true, true, []string{mirrorPusher}
	}
	return p
}

// EnsureOrg creates the organisation unless it exists.
func (g *Gitea) EnsureOrg(ctx context.Context, org string) error {
	found, err := g.do(ctx, http.MethodGet, "/orgs/"+url.PathEscape(org), nil, nil)
	if err != nil || found {
		return err
	}
	_, err = g.do(ctx, http.MethodPost, "/orgs", map[string]any{"username": org, "visibility": "private"}, nil)
	return err
}

// EnsureRepo creates the organisation's private repository unless it
// exists. It is created empty: the first push makes main.
func (g *Gitea) EnsureRepo(ctx context.Context, org, repo string) error {
	found, err := g.do(ctx, http.MethodGet, "/repos/"+url.PathEscape(org)+"/"+url.PathEscape(repo), nil, nil)
	if err != nil || found {
		return err
	}
	_, err = g.do(ctx, http.MethodPost, "/orgs/"+url.PathEscape(org)+"/repos",
		map[string]any{"name": repo, "private": true, "default_branch": Branch, "auto_init": false}, nil)
	return err
}

// Protect sets the branch protection rule, creating it or editing it
// only where it differs. It reports whether it wrote anything.
func (g *Gitea) Protect(ctx context.Context, org, repo string, want Protection) (bool, error) {
	base := "/repos/" + url.PathEscape(org) + "/" + url.PathEscape(repo) + "/branch_protections"
	var have Protection
	found, err := g.do(ctx, http.MethodGet, base+"/"+url.PathEscape(want.RuleName), nil, &have)
	if err != nil {
		return false, err
	}
	if !found {
		_, err = g.do(ctx, http.MethodPost, base, want, nil)
		return err == nil, err
	}
	if have.PushWhitelistUsernames == nil { // Gitea may answer null for none
		have.PushWhitelistUsernames = []string{}
	}
	if reflect.DeepEqual(have, want) {
		return false, nil
	}
	edit := want
	edit.BranchName, edit.RuleName = "", "" // not editable; omitted below
	_, err = g.do(ctx, http.MethodPatch, base+"/"+url.PathEscape(want.RuleName), editBody(edit), nil)
	return err == nil, err
}

// editBody drops the names, which EditBranchProtectionOption lacks.
func editBody(p Protection) map[string]any {
	var m map[string]any
	b, _ := json.Marshal(p)
	_ = json.Unmarshal(b, &m)
	delete(m, "branch_name")
	delete(m, "rule_name")
	return m
}

// do sends one request; a 404 on GET is "not found", not an error.
func (g *Gitea) do(ctx context.Context, method, path string, body, out any) (bool, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return false, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimSuffix(g.BaseURL, "/")+"/api/v1"+path, rd)
	if err != nil {
		return false, err
	}
	req.SetBasicAuth(g.User, g.Password)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := g.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, fmt.Errorf("gitea %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusNotFound && method == http.MethodGet:
		return false, nil
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return false, fmt.Errorf("gitea %s %s: %s: check the admin credentials (user %q) and that the user is a site administrator", method, path, resp.Status, g.User)
	case resp.StatusCode/100 != 2:
		return false, fmt.Errorf("gitea %s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(data)))
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return false, fmt.Errorf("gitea %s %s: decode: %w", method, path, err)
		}
	}
	return true, nil
}
