package seed

import (
	"context"
	"fmt"
	"io"

	"github.com/openova-io/openova/internal/forge"
)

// ReadTokenName names the token the seed issues for Flux; Gitea keeps one
// token of a name per user.
const ReadTokenName = "catalyst-flux-read"

// FluxUser is the Gitea user Flux reads as, and FluxTeam its team in the
// blueprint organisation.
const (
	FluxUser = "flux-reader"
	FluxTeam = "flux-readers"
)

// FluxReader is Flux's own read-only Gitea user: restricted, not an
// administrator, able to read the instance repository (collaborator,
// read) and every repository of the blueprint organisation (a read team
// there; the blueprint GitRepositories use the same Secret), and nothing
// else. Forge must be a site administrator's client.
type FluxReader struct {
	Forge        *forge.Client
	Repo         forge.Repo // the instance repository
	BlueprintOrg string     // e.g. flux.BlueprintGitOrg; empty: none
	Random       io.Reader  // crypto/rand.Reader outside tests
}

// Ensure creates the user unless it exists and grants its read access;
// idempotent, so every seed run puts it back as it should be. It creates
// the blueprint organisation (private) unless it exists, so its team is in
// place before `catalyst blueprints sync` fills it.
func (f FluxReader) Ensure(ctx context.Context) error {
	if err := f.Forge.EnsureReadUser(ctx, FluxUser, f.Random); err != nil {
		return err
	}
	if err := f.Forge.GrantRepoRead(ctx, f.Repo, FluxUser); err != nil {
		return err
	}
	if f.BlueprintOrg == "" {
		return nil
	}
	if err := f.Forge.EnsureOrg(ctx, f.BlueprintOrg); err != nil {
		return err
	}
	return f.Forge.GrantOrgRead(ctx, f.BlueprintOrg, FluxTeam, FluxUser)
}

// Issue issues the user's read-only token (a previous token of the user
// is revoked), for EnsureFluxSecret, after Ensure.
func (f FluxReader) Issue(ctx context.Context) (string, string, error) {
	tok, err := f.Forge.IssueReadTokenAs(ctx, FluxUser, ReadTokenName, f.Random)
	if err != nil {
		return "", "", fmt.Errorf("Flux's read-only token: %w", err)
	}
	return FluxUser, tok, nil
}

// RevokeReadToken deletes the read token a seed before the dedicated user
// issued as the administrator (user and password: Gitea lists and deletes
// tokens over basic auth only); none is fine.
func RevokeReadToken(ctx context.Context, baseURL, user, password string) error {
	fc, err := forge.New(baseURL, forge.Credentials{User: user, Password: password}, nil)
	if err != nil {
		return err
	}
	return fc.RevokeToken(ctx, ReadTokenName)
}

// IssueReadToken makes a read-only token as the Gitea user signing in with
// a password (forge.Client.IssueReadToken).
func IssueReadToken(ctx context.Context, baseURL, user, password string) (string, error) {
	fc, err := forge.New(baseURL, forge.Credentials{User: user, Password: password}, nil)
	if err != nil {
		return "", err
	}
	return fc.IssueReadToken(ctx, ReadTokenName)
}
