package forge

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"

	"code.gitea.io/sdk/gitea"
)

// A read-only user is a Gitea account that only reads: not an
// administrator, restricted (it sees only what it is given explicitly,
// no public listing of the instance's users or organisations), with no
// repository or organisation of its own. Its password is random, set
// anew each time a token is issued, and never kept: the token is its only
// credential. These calls need a site administrator's client.

// EnsureReadUser creates the read-only user unless it exists, and puts
// an existing one back to read-only (not admin, restricted, no
// repositories) should it have been changed by hand.
func (c *Client) EnsureReadUser(ctx context.Context, user string, random io.Reader) error {
	api := c.api(ctx)
	u, resp, err := api.GetUserInfo(user)
	if err != nil && !notFound(resp) {
		return c.apiErr("gitea user "+user, resp, err)
	}
	if err != nil { // not found
		pw, err := randomPassword(random)
		if err != nil {
			return err
		}
		private := gitea.VisibleTypePrivate
		_, resp, err = api.AdminCreateUser(gitea.CreateUserOption{Username: user, LoginName: user, Email: user + "@noreply.localhost",
			FullName: "read-only (catalyst seed)", Password: pw, MustChangePassword: new(false), Visibility: &private})
		if err != nil {
			return c.apiErr("create gitea user "+user, resp, err)
		}
	} else if !u.IsAdmin && u.Restricted && u.Visibility == gitea.VisibleTypePrivate {
		return nil
	}
	return c.restrict(ctx, user, "")
}

// restrict makes user read-only, and sets its password when pw is set.
func (c *Client) restrict(ctx context.Context, user, pw string) error {
	private := gitea.VisibleTypePrivate
	resp, err := c.api(ctx).AdminEditUser(user, gitea.EditUserOption{LoginName: user, Password: pw, MustChangePassword: new(false),
		Admin: new(false), Restricted: new(true), MaxRepoCreation: new(0), AllowCreateOrganization: new(false),
		AllowGitHook: new(false), AllowImportLocal: new(false), Visibility: &private})
	if err != nil {
		return c.apiErr("make gitea user "+user+" read-only", resp, err)
	}
	return nil
}

// GrantRepoRead makes user a collaborator of r with read access (and
// takes back any higher access it was given).
func (c *Client) GrantRepoRead(ctx context.Context, r Repo, user string) error {
	read := gitea.AccessModeRead
	resp, err := c.api(ctx).AddCollaborator(r.Owner, r.Name, user, gitea.AddCollaboratorOption{Permission: &read})
	if err != nil {
		return c.apiErr(fmt.Sprintf("give gitea user %s read access to %s", user, r), resp, err)
	}
	return nil
}

// GrantOrgRead gives user read access to the code of every repository of
// org, present and future, through the org's team named team (created
// unless it exists, with read permission on all repositories).
func (c *Client) GrantOrgRead(ctx context.Context, org, team, user string) error {
	api := c.api(ctx)
	teams, resp, err := api.ListOrgTeams(org, gitea.ListTeamsOptions{ListOptions: gitea.ListOptions{PageSize: 50}})
	if err != nil {
		return c.apiErr("teams of organisation "+org, resp, err)
	}
	var id int64
	for _, t := range teams {
		if t.Name == team {
			id = t.ID
		}
	}
	if id == 0 {
		t, resp, err := api.CreateTeam(org, gitea.CreateTeamOption{Name: team, Description: "read-only: clone every repository (catalyst seed)",
			Permission: gitea.AccessModeRead, IncludesAllRepositories: true, Units: []gitea.RepoUnitType{gitea.RepoUnitCode, gitea.RepoUnitReleases}})
		if err != nil {
			return c.apiErr(fmt.Sprintf("create team %s of organisation %s", team, org), resp, err)
		}
		id = t.ID
	}
	if resp, err := api.AddTeamMember(id, user); err != nil {
		return c.apiErr(fmt.Sprintf("add gitea user %s to team %s of %s", user, team, org), resp, err)
	}
	return nil
}

// IssueReadTokenAs gives user a fresh random password (never kept) and,
// signed in as user with it, issues its read-only token named name (a
// previous one of that name is revoked; see IssueReadToken).
func (c *Client) IssueReadTokenAs(ctx context.Context, user, name string, random io.Reader) (string, error) {
	pw, err := randomPassword(random)
	if err != nil {
		return "", err
	}
	if err := c.restrict(ctx, user, pw); err != nil {
		return "", err
	}
	as, err := New(c.base, Credentials{User: user, Password: pw}, c.hc)
	if err != nil {
		return "", err
	}
	return as.IssueReadToken(ctx, name)
}

func randomPassword(random io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("random password: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
