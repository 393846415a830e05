package forge

import (
	"context"
	"fmt"

	"code.gitea.io/sdk/gitea"
)

// EnsureTag makes tag point at commit: it creates the tag, or finds it
// already there; a tag at another commit is an error (tags are never
// moved).
func (c *Client) EnsureTag(ctx context.Context, r Repo, tag, commit string) (bool, error) {
	api := c.api(ctx)
	have, resp, err := api.GetTag(r.Owner, r.Name, tag)
	switch {
	case err == nil:
		if have.Commit == nil || have.Commit.SHA != commit {
			at := "?"
			if have.Commit != nil {
				at = have.Commit.SHA
			}
			return false, fmt.Errorf("%s: tag %s already points at commit %s, not %s; tags are not moved", r, tag, at, commit)
		}
		return false, nil
	case !notFound(resp):
		return false, c.apiErr(fmt.Sprintf("tag %s of %s", tag, r), resp, err)
	}
	if _, resp, err := api.CreateTag(r.Owner, r.Name, gitea.CreateTagOption{TagName: tag, Target: commit}); err != nil {
		return false, c.apiErr(fmt.Sprintf("create tag %s of %s at %s", tag, r, commit), resp, err)
	}
	return true, nil
}
