package seed

import (
	"context"
	"fmt"
	"strings"
	"time"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/generate"
)

// Options of one seed run.
type Options struct {
	Spec      []byte // instance.yaml as carried by the seed Job
	Catalog   *catalog.Catalog
	Gitea     *Gitea
	Org, Repo string
	Approvals int
	// Standby: this region's repository is the target of the primary's
	// push mirror, so the admin user may push to main (nobody else).
	Standby bool
	Now     func() time.Time
}

// Report is what a run did, for the Job's log.
type Report struct {
	Files     int
	Commit    string
	Pushed    bool // false: main already held this tree
	Protected bool // false: the rule was already in place
}

// Run regenerates the tree from the spec, makes sure the organisation
// and repository exist, pushes the tree to main and protects main, in
// that order: protection forbids the direct push the seed itself makes,
// so it comes last, and a re-run over a seeded repository finds an equal
// tree and pushes nothing.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.Org == "" || o.Repo == "" {
		return Report{}, fmt.Errorf("repository: want <org>/<name>, got %q/%q", o.Org, o.Repo)
	}
	if o.Approvals < 1 {
		return Report{}, fmt.Errorf("required approvals: want at least 1 (four eyes), got %d", o.Approvals)
	}
	tree, err := generate.Generate(o.Spec, o.Catalog)
	if err != nil {
		return Report{}, fmt.Errorf("generate the instance tree: %w", err)
	}
	if err := o.Gitea.EnsureOrg(ctx, o.Org); err != nil {
		return Report{}, err
	}
	if err := o.Gitea.EnsureRepo(ctx, o.Org, o.Repo); err != nil {
		return Report{}, err
	}
	url := fmt.Sprintf("%s/%s/%s.git", strings.TrimSuffix(o.Gitea.BaseURL, "/"), o.Org, o.Repo)
	auth := &githttp.BasicAuth{Username: o.Gitea.User, Password: o.Gitea.Password}
	res, err := PushTree(ctx, url, auth, tree, Commit{
		Message:    "Seed the instance repository from instance.yaml (catalyst seed)",
		AuthorName: "catalyst seed", AuthorEmail: "seed@catalyst.openova.io", When: o.Now(),
	})
	if err != nil {
		return Report{}, err
	}
	wrote, err := o.Gitea.Protect(ctx, o.Org, o.Repo, MainProtection(o.Approvals, mirrorPusher(o)))
	if err != nil {
		return Report{}, err
	}
	return Report{Files: tree.Len(), Commit: res.Hash, Pushed: res.Changed, Protected: wrote}, nil
}

func mirrorPusher(o Options) string {
	if o.Standby {
		return o.Gitea.User
	}
	return ""
}
