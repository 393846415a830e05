package forge

import (
	"context"
	"errors"
	"fmt"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
)

// Head is where a branch or tag points: its commit and that commit's
// tree, whose hash identifies the content whatever the history.
type Head struct{ Commit, Tree string }

// TreeHash is the Git tree hash files would have in a commit: equal
// hashes, equal content. Nothing is sent anywhere.
func TreeHash(files map[string][]byte) (string, error) {
	h, err := writeTree(memory.NewStorage(), files)
	return h.String(), err
}

// Heads looks up each name as a branch, else a tag, with one listing and
// one fetch of only those refs; names that exist in neither are absent
// from the map (an empty repository gives an empty map).
func (c *Client) Heads(ctx context.Context, r Repo, names ...string) (map[string]Head, error) {
	l, err := c.open(ctx, r, false)
	if err != nil {
		return nil, err
	}
	found := map[string]plumbing.ReferenceName{}
	var specs []config.RefSpec
	for _, n := range names {
		for _, ref := range []plumbing.ReferenceName{plumbing.NewBranchReferenceName(n), plumbing.NewTagReferenceName(n)} {
			if _, ok := l.refs[ref]; ok {
				found[n] = ref
				specs = append(specs, config.RefSpec("+"+ref+":"+ref))
				break
			}
		}
	}
	out := map[string]Head{}
	if len(specs) == 0 {
		return out, nil
	}
	err = l.repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", Auth: c.auth(), RefSpecs: specs, Tags: git.NoTags})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil, c.gitErr("fetch "+r.String(), err)
	}
	for n, ref := range found {
		cm, err := commitOf(l.repo, l.refs[ref])
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", r, n, err)
		}
		out[n] = Head{Commit: cm.Hash.String(), Tree: cm.TreeHash.String()}
	}
	return out, nil
}

// commitOf is the commit at h, peeling an annotated tag.
func commitOf(repo *git.Repository, h plumbing.Hash) (*object.Commit, error) {
	cm, err := repo.CommitObject(h)
	if err == nil {
		return cm, nil
	}
	tag, terr := repo.TagObject(h)
	if terr != nil {
		return nil, err
	}
	return tag.Commit()
}
