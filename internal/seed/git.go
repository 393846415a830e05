// Package seed is `catalyst seed`'s core: commit the generated instance
// tree to the in-cluster Gitea repository and protect its main branch.
// Everything here is idempotent, since the seed Job retries until it
// succeeds: an unchanged tree pushes nothing and settings already in
// place are not written again.
package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/memfs"
	"github.com/go-git/go-billy/v5/util"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"

	"github.com/openova-io/openova/internal/filetree"
)

// Branch is the instance repository's protected branch that Flux follows.
const Branch = "main"

// Commit describes the one commit a push makes.
type Commit struct {
	Message     string
	AuthorName  string
	AuthorEmail string
	When        time.Time // injected: the caller's clock
}

// PushResult says what a push did.
type PushResult struct {
	Hash    string // main's commit after the push
	Changed bool   // false: main already held exactly this tree
}

// PushTree makes main of the repository at url hold exactly tree: it
// clones main (or starts the branch in an empty repository), replaces
// the work tree's content with tree, and commits and pushes only when
// that changes something. Everything stays in memory. auth may be nil
// (file:// in tests).
func PushTree(ctx context.Context, url string, auth transport.AuthMethod, tree *filetree.Tree, c Commit) (PushResult, error) {
	ref := plumbing.NewBranchReferenceName(Branch)
	st, fs := memory.NewStorage(), memfs.New()
	repo, err := git.CloneContext(ctx, st, fs, &git.CloneOptions{
		URL: url, Auth: auth, ReferenceName: ref, SingleBranch: true, Tags: git.NoTags,
	})
	switch {
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		st, fs = memory.NewStorage(), memfs.New() // the failed clone left a config
		if repo, err = git.Init(st, fs); err != nil {
			return PushResult{}, fmt.Errorf("init: %w", err)
		}
		if err := st.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, ref)); err != nil {
			return PushResult{}, err
		}
		if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{url}}); err != nil {
			return PushResult{}, err
		}
	case err != nil:
		return PushResult{}, fmt.Errorf("clone %s (branch %s): %w", url, Branch, err)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return PushResult{}, err
	}
	if err := replaceContent(fs, tree); err != nil {
		return PushResult{}, err
	}
	if err := wt.AddWithOptions(&git.AddOptions{All: true}); err != nil {
		return PushResult{}, fmt.Errorf("stage: %w", err)
	}
	status, err := wt.Status()
	if err != nil {
		return PushResult{}, err
	}
	if status.IsClean() {
		head, err := repo.Head()
		if err != nil {
			return PushResult{}, err
		}
		return PushResult{Hash: head.Hash().String()}, nil
	}
	sig := &object.Signature{Name: c.AuthorName, Email: c.AuthorEmail, When: c.When}
	hash, err := wt.Commit(c.Message, &git.CommitOptions{All: true, Author: sig, Committer: sig})
	if err != nil {
		return PushResult{}, fmt.Errorf("commit: %w", err)
	}
	err = repo.PushContext(ctx, &git.PushOptions{
		RemoteName: "origin", Auth: auth,
		RefSpecs: []config.RefSpec{config.RefSpec(ref + ":" + ref)},
	})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return PushResult{}, fmt.Errorf("push to %s: %w", url, err)
	}
	return PushResult{Hash: hash.String(), Changed: true}, nil
}

// replaceContent removes every file of the work tree (but .git) and
// writes the tree's files.
func replaceContent(fs billy.Filesystem, tree *filetree.Tree) error {
	var old []string
	err := util.Walk(fs, "/", func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if fi.IsDir() && fi.Name() == ".git" {
			return filepath.SkipDir
		}
		if !fi.IsDir() {
			old = append(old, p)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range old {
		if err := fs.Remove(p); err != nil {
			return err
		}
	}
	for _, p := range tree.Paths() {
		data, _ := tree.Get(p)
		if err := util.WriteFile(fs, p, data, 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	return nil
}

// ReadTree returns every file of main's commit in the repository at url:
// what Flux will see. Tests compare it with the generated tree.
func ReadTree(ctx context.Context, url string, auth transport.AuthMethod) (map[string][]byte, error) {
	repo, err := git.CloneContext(ctx, memory.NewStorage(), nil, &git.CloneOptions{
		URL: url, Auth: auth, ReferenceName: plumbing.NewBranchReferenceName(Branch), SingleBranch: true, NoCheckout: true,
	})
	if err != nil {
		return nil, err
	}
	head, err := repo.Head()
	if err != nil {
		return nil, err
	}
	commit, err := repo.CommitObject(head.Hash())
	if err != nil {
		return nil, err
	}
	files, err := commit.Files()
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	err = files.ForEach(func(f *object.File) error {
		r, err := f.Reader()
		if err != nil {
			return err
		}
		defer r.Close()
		out[f.Name], err = io.ReadAll(r)
		return err
	})
	return out, err
}

// Paths lists a tree map's paths, sorted.
func Paths(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for p := range m {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
