package seed

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"code.gitea.io/sdk/gitea"
)

// ReadTokenName names the token the seed issues for Flux; Gitea keeps one
// token of a name per user.
const ReadTokenName = "catalyst-flux-read"

// readScope lets a token read repositories (clone, fetch) and nothing
// else: no push, no API writes.
const readScope gitea.AccessTokenScope = "read:repository"

// IssueReadToken makes a new read-only token of the Gitea user (who must
// sign in with a password: Gitea issues tokens only over basic auth). A
// token of the same name is deleted first, since Gitea shows a token's
// value only when it is created and the seed only asks when it lost it.
//
// It talks to Gitea's REST API directly rather than through
// internal/forge, which has no token call yet: move it there
// (Client.IssueReadToken) when forge gains one.
func IssueReadToken(ctx context.Context, baseURL, user, password string) (string, error) {
	api, err := gitea.NewClient(baseURL, gitea.SetBasicAuth(user, password), gitea.SetContext(ctx), gitea.SetGiteaVersion(""),
		gitea.SetHTTPClient(&http.Client{Timeout: time.Minute}), gitea.SetUserAgent("openova-catalyst"))
	if err != nil {
		return "", fmt.Errorf("gitea %s: %w", baseURL, err)
	}
	if resp, err := api.DeleteAccessToken(ReadTokenName); err != nil && (resp == nil || resp.StatusCode != http.StatusNotFound) {
		return "", fmt.Errorf("delete the previous token %q of gitea user %q: %w", ReadTokenName, user, err)
	}
	tok, _, err := api.CreateAccessToken(gitea.CreateAccessTokenOption{Name: ReadTokenName, Scopes: []gitea.AccessTokenScope{readScope}})
	if err != nil {
		return "", fmt.Errorf("issue a read-only token (%s) for gitea user %q: %w", readScope, user, err)
	}
	return tok.Token, nil
}
