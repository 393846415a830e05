package seed

import (
	"context"

	"github.com/openova-io/openova/internal/forge"
)

// ReadTokenName names the token the seed issues for Flux; Gitea keeps one
// token of a name per user.
const ReadTokenName = "catalyst-flux-read"

// IssueReadToken makes the read-only token Flux clones with, as the Gitea
// user signing in with a password (forge.Client.IssueReadToken).
func IssueReadToken(ctx context.Context, baseURL, user, password string) (string, error) {
	fc, err := forge.New(baseURL, forge.Credentials{User: user, Password: password}, nil)
	if err != nil {
		return "", err
	}
	return fc.IssueReadToken(ctx, ReadTokenName)
}
