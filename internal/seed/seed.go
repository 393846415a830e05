// Package seed is `catalyst seed`'s core: commit the generated instance
// tree to the in-cluster Gitea repository and protect its main branch,
// through internal/forge. Everything here is idempotent, since the seed
// Job retries until it succeeds: an unchanged tree pushes nothing and a
// rule already in place is not written again.
package seed

import (
	"context"
	"fmt"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/generate"
)

// Branch is the instance repository's protected branch that Flux follows.
const Branch = "main"

// Author signs the seed's commit.
var Author = forge.Signature{Name: "catalyst seed", Email: "seed@catalyst.openova.io"}

// Options of one seed run.
type Options struct {
	Spec      []byte // instance.yaml as carried by the seed Job
	Catalog   *catalog.Catalog
	Forge     *forge.Client
	Org, Repo string
	Approvals int
	// MirrorPusher is set in the standby region: the one user that may
	// push to main, as the primary's push mirror signs in as it.
	MirrorPusher string
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
	r := forge.Repo{Owner: o.Org, Name: o.Repo}
	if err := o.Forge.EnsureOrg(ctx, o.Org); err != nil {
		return Report{}, err
	}
	if err := o.Forge.EnsureRepo(ctx, r); err != nil {
		return Report{}, err
	}
	files := filetree.Checkout(tree)
	commit, pushed, err := o.Forge.PushTree(ctx, r, Branch, files,
		"Seed the instance repository from instance.yaml (catalyst seed)", Author)
	if err != nil {
		return Report{}, err
	}
	wrote, err := o.Forge.SetProtection(ctx, r, forge.MainProtection(o.Approvals, o.MirrorPusher))
	if err != nil {
		return Report{}, err
	}
	return Report{Files: len(files), Commit: commit, Pushed: pushed, Protected: wrote}, nil
}
