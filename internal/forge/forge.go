// Package forge is the project's one Gitea client: organisations,
// repositories and branch protection through Gitea's REST API (the
// code.gitea.io/sdk/gitea SDK), and Git itself (trees, commits, tags,
// pull-request branches) through go-git over HTTP, all in memory.
//
// Credentials travel only in Authorization headers; no error, log line
// or URL built here contains them.
package forge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"code.gitea.io/sdk/gitea"
	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
)

// Credentials of the Gitea user Catalyst acts as. A token is preferred;
// without one, User and Password sign in. Never printed.
type Credentials struct{ Token, User, Password string }

// String hides the secrets, should a Credentials ever be formatted.
func (c Credentials) String() string {
	return "forge.Credentials{User: " + c.User + ", secrets hidden}"
}

// GoString hides the secrets from %#v too.
func (c Credentials) GoString() string { return c.String() }

// Repo names a repository.
type Repo struct{ Owner, Name string }

func (r Repo) String() string { return r.Owner + "/" + r.Name }

// Signature is the author and committer of the commits forge makes.
type Signature struct{ Name, Email string }

// Client talks to one Gitea server.
type Client struct {
	base string
	cred Credentials
	hc   *http.Client
	now  func() time.Time
}

// New returns a client of the Gitea at baseURL (e.g.
// http://gitea-http.gitea.svc:3000). hc may be nil. It makes no request.
func New(baseURL string, cred Credentials, hc *http.Client) (*Client, error) {
	base := strings.TrimSuffix(baseURL, "/")
	if !strings.HasPrefix(base, "http://") && !strings.HasPrefix(base, "https://") {
		return nil, fmt.Errorf("gitea URL %q: want http:// or https://, e.g. http://gitea-http.gitea.svc:3000", baseURL)
	}
	if strings.Contains(strings.TrimPrefix(strings.TrimPrefix(base, "http://"), "https://"), "@") {
		return nil, errors.New("gitea URL: carries user information; pass credentials as Credentials, not in the URL")
	}
	if cred.Token == "" && (cred.User == "" || cred.Password == "") {
		return nil, errors.New("gitea credentials: want a token, or a user and password")
	}
	if hc == nil {
		hc = &http.Client{Timeout: 2 * time.Minute}
	}
	return &Client{base: base, cred: cred, hc: hc, now: time.Now}, nil
}

// SetClock replaces the clock that dates commits (tests).
func (c *Client) SetClock(now func() time.Time) { c.now = now }

// URL is the server's base URL.
func (c *Client) URL() string { return c.base }

// api is an SDK client bound to ctx: the SDK keeps one context per
// client, so each call gets its own (cheap: no request is made).
func (c *Client) api(ctx context.Context) *gitea.Client {
	opts := []gitea.ClientOption{gitea.SetHTTPClient(c.hc), gitea.SetContext(ctx), gitea.SetGiteaVersion(""),
		gitea.SetUserAgent("openova-catalyst")}
	if c.cred.Token != "" {
		opts = append(opts, gitea.SetToken(c.cred.Token))
	} else {
		opts = append(opts, gitea.SetBasicAuth(c.cred.User, c.cred.Password))
	}
	api, _ := gitea.NewClient(c.base, opts...) // options above cannot fail
	return api
}

// auth is the Git transport's credentials; with a token, Gitea takes it
// as the password of basic auth.
func (c *Client) auth() transport.AuthMethod {
	if c.cred.Token != "" {
		user := c.cred.User
		if user == "" {
			user = "catalyst"
		}
		return &githttp.BasicAuth{Username: user, Password: c.cred.Token}
	}
	return &githttp.BasicAuth{Username: c.cred.User, Password: c.cred.Password}
}

func (c *Client) gitURL(r Repo) string { return c.base + "/" + r.Owner + "/" + r.Name + ".git" }

// apiErr wraps an SDK error with what was attempted and, for a refused
// credential, what to check. The SDK's messages carry Gitea's answer,
// never the request's headers.
func (c *Client) apiErr(what string, resp *gitea.Response, err error) error {
	if resp != nil && (resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden) {
		return fmt.Errorf("%s: gitea answered %s: check the credentials (%s) and that the user is a site administrator or owns it",
			what, resp.Status, c.who())
	}
	return fmt.Errorf("%s: %w", what, err)
}

// who names the credentials without their secret.
func (c *Client) who() string {
	if c.cred.Token != "" {
		return "the token's scopes and expiry"
	}
	return fmt.Sprintf("user %q and its password", c.cred.User)
}

func notFound(resp *gitea.Response) bool {
	return resp != nil && resp.StatusCode == http.StatusNotFound
}

// EnsureOrg creates the private organisation unless it exists.
func (c *Client) EnsureOrg(ctx context.Context, org string) error {
	api := c.api(ctx)
	_, resp, err := api.GetOrg(org)
	if err == nil {
		return nil
	}
	if !notFound(resp) {
		return c.apiErr("organisation "+org, resp, err)
	}
	_, resp, err = api.CreateOrg(gitea.CreateOrgOption{Name: org, Visibility: gitea.VisibleTypePrivate})
	if err != nil {
		return c.apiErr("create organisation "+org, resp, err)
	}
	return nil
}

// EnsureRepo creates the organisation's private repository unless it
// exists. It is created empty: the first push makes its branch.
func (c *Client) EnsureRepo(ctx context.Context, r Repo) error {
	api := c.api(ctx)
	_, resp, err := api.GetRepo(r.Owner, r.Name)
	if err == nil {
		return nil
	}
	if !notFound(resp) {
		return c.apiErr("repository "+r.String(), resp, err)
	}
	_, resp, err = api.CreateOrgRepo(r.Owner, gitea.CreateRepoOption{Name: r.Name, Private: true, DefaultBranch: "main"})
	if err != nil {
		return c.apiErr("create repository "+r.String(), resp, err)
	}
	return nil
}
