package forge

import (
	"context"
	"errors"
	"fmt"

	"code.gitea.io/sdk/gitea"
)

// ReadScope lets a token read repositories (clone, fetch) and nothing
// else: no push, no API writes.
const ReadScope gitea.AccessTokenScope = "read:repository"

// IssueReadToken makes a new read-only token, named name, of the signed-in
// user. A token of that name is deleted first: Gitea shows a token's value
// only when it is created, so asking again means the old value was lost.
// Gitea issues tokens only over basic auth: the client needs User and
// Password, not a token.
func (c *Client) IssueReadToken(ctx context.Context, name string) (string, error) {
	if c.cred.User == "" || c.cred.Password == "" {
		return "", errors.New("issue a read-only token: gitea issues tokens only to a user signing in with a password; pass User and Password")
	}
	api := c.api(ctx)
	if resp, err := api.DeleteAccessToken(name); err != nil && !notFound(resp) {
		return "", c.apiErr(fmt.Sprintf("delete the previous token %q of gitea user %q", name, c.cred.User), resp, err)
	}
	tok, resp, err := api.CreateAccessToken(gitea.CreateAccessTokenOption{Name: name, Scopes: []gitea.AccessTokenScope{ReadScope}})
	if err != nil {
		return "", c.apiErr(fmt.Sprintf("issue a read-only token (%s) for gitea user %q", ReadScope, c.cred.User), resp, err)
	}
	return tok.Token, nil
}

// RevokeToken deletes the signed-in user's token named name; none of
// that name is fine. Like issuing, it needs User and Password.
func (c *Client) RevokeToken(ctx context.Context, name string) error {
	if c.cred.User == "" || c.cred.Password == "" {
		return errors.New("revoke a token: gitea manages tokens only for a user signing in with a password; pass User and Password")
	}
	if resp, err := c.api(ctx).DeleteAccessToken(name); err != nil && !notFound(resp) {
		return c.apiErr(fmt.Sprintf("revoke token %q of gitea user %q", name, c.cred.User), resp, err)
	}
	return nil
}
