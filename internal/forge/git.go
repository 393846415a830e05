package forge

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/memory"
)

// local is an in-memory bare repository with the remote as origin.
type local struct {
	repo *git.Repository
	st   *memory.Storage
	refs map[plumbing.ReferenceName]plumbing.Hash // the remote's refs
}

// open lists the remote's refs and fetches the named branches that exist
// (all branches and tags when all is set). An empty repository is no error.
func (c *Client) open(ctx context.Context, r Repo, all bool, branches ...string) (*local, error) {
	st := memory.NewStorage()
	repo, err := git.Init(st, nil)
	if err != nil {
		return nil, err
	}
	remote, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{c.gitURL(r)}})
	if err != nil {
		return nil, err
	}
	l := &local{repo: repo, st: st, refs: map[plumbing.ReferenceName]plumbing.Hash{}}
	list, err := remote.ListContext(ctx, &git.ListOptions{Auth: c.auth()})
	if errors.Is(err, transport.ErrEmptyRemoteRepository) {
		return l, nil
	}
	if err != nil {
		return nil, c.gitErr("list refs of "+r.String(), err)
	}
	for _, ref := range list {
		if ref.Type() == plumbing.HashReference {
			l.refs[ref.Name()] = ref.Hash()
		}
	}
	var specs []config.RefSpec
	if all {
		specs = append(specs, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
	}
	for _, b := range branches {
		name := plumbing.NewBranchReferenceName(b)
		if _, ok := l.refs[name]; ok {
			specs = append(specs, config.RefSpec("+"+name+":"+name))
		}
	}
	if len(specs) == 0 {
		return l, nil
	}
	err = repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", Auth: c.auth(), RefSpecs: specs, Tags: git.NoTags})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return nil, c.gitErr("fetch "+r.String(), err)
	}
	return l, nil
}

// head is the commit a branch of the remote points at (zero: none).
func (l *local) head(branch string) plumbing.Hash {
	return l.refs[plumbing.NewBranchReferenceName(branch)]
}

// gitErr names what failed; go-git's errors carry the URL, which holds
// no credentials (they travel in the Authorization header).
func (c *Client) gitErr(what string, err error) error {
	if errors.Is(err, transport.ErrAuthenticationRequired) || errors.Is(err, transport.ErrAuthorizationFailed) {
		return fmt.Errorf("%s: %w: check the Gitea credentials (%s)", what, err, c.who())
	}
	return fmt.Errorf("%s: %w", what, err)
}

// writeTree stores files as Git blobs and trees and returns the root
// tree's hash. Paths are slash-separated and relative.
func writeTree(st *memory.Storage, files map[string][]byte) (plumbing.Hash, error) {
	type dir struct {
		files map[string]plumbing.Hash
		dirs  map[string]*dir
	}
	newDir := func() *dir { return &dir{files: map[string]plumbing.Hash{}, dirs: map[string]*dir{}} }
	root := newDir()
	for p, data := range files {
		clean := path.Clean(p)
		if clean != p || strings.HasPrefix(p, "/") || strings.HasPrefix(p, "../") || p == "." || p == ".." {
			return plumbing.ZeroHash, fmt.Errorf("file path %q: want a clean relative path", p)
		}
		obj := st.NewEncodedObject()
		obj.SetType(plumbing.BlobObject)
		w, _ := obj.Writer()
		_, _ = w.Write(data)
		_ = w.Close()
		h, err := st.SetEncodedObject(obj)
		if err != nil {
			return plumbing.ZeroHash, err
		}
		parts := strings.Split(p, "/")
		d := root
		for _, seg := range parts[:len(parts)-1] {
			if d.dirs[seg] == nil {
				d.dirs[seg] = newDir()
			}
			d = d.dirs[seg]
		}
		d.files[parts[len(parts)-1]] = h
	}
	var encode func(d *dir) (plumbing.Hash, error)
	encode = func(d *dir) (plumbing.Hash, error) {
		var entries []object.TreeEntry
		for name, h := range d.files {
			if d.dirs[name] != nil {
				return plumbing.ZeroHash, fmt.Errorf("%q is both a file and a directory", name)
			}
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Regular, Hash: h})
		}
		for name, sub := range d.dirs {
			h, err := encode(sub)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			entries = append(entries, object.TreeEntry{Name: name, Mode: filemode.Dir, Hash: h})
		}
		// Git orders a directory as if its name ended in "/".
		key := func(e object.TreeEntry) string {
			if e.Mode == filemode.Dir {
				return e.Name + "/"
			}
			return e.Name
		}
		sort.Slice(entries, func(i, j int) bool { return key(entries[i]) < key(entries[j]) })
		obj := st.NewEncodedObject()
		if err := (&object.Tree{Entries: entries}).Encode(obj); err != nil {
			return plumbing.ZeroHash, err
		}
		return st.SetEncodedObject(obj)
	}
	return encode(root)
}

// commit stores a commit of tree on parents and returns its hash.
func (c *Client) commit(st *memory.Storage, tree plumbing.Hash, parents []plumbing.Hash, msg string, who Signature) (plumbing.Hash, error) {
	sig := object.Signature{Name: who.Name, Email: who.Email, When: c.now()}
	obj := st.NewEncodedObject()
	cm := &object.Commit{Author: sig, Committer: sig, Message: msg, TreeHash: tree, ParentHashes: parents}
	if err := cm.Encode(obj); err != nil {
		return plumbing.ZeroHash, err
	}
	return st.SetEncodedObject(obj)
}

// push sets branch on the remote to hash (force: replace whatever it held).
func (c *Client) push(ctx context.Context, l *local, r Repo, branch string, hash plumbing.Hash, force bool) error {
	name := plumbing.NewBranchReferenceName(branch)
	if err := l.st.SetReference(plumbing.NewHashReference(name, hash)); err != nil {
		return err
	}
	spec := config.RefSpec(name + ":" + name)
	if force {
		spec = "+" + spec
	}
	err := l.repo.PushContext(ctx, &git.PushOptions{RemoteName: "origin", Auth: c.auth(), RefSpecs: []config.RefSpec{spec}})
	if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return c.gitErr(fmt.Sprintf("push to %s branch %s (a protected branch takes changes only through pull requests)", r, branch), err)
	}
	return nil
}

// PushTree makes branch hold exactly files: one commit on top of its head
// (or the first commit of a new branch), none when the tree is unchanged.
func (c *Client) PushTree(ctx context.Context, r Repo, branch string, files map[string][]byte, msg string, author Signature) (string, bool, error) {
	l, err := c.open(ctx, r, false, branch)
	if err != nil {
		return "", false, err
	}
	tree, err := writeTree(l.st, files)
	if err != nil {
		return "", false, fmt.Errorf("%s: %w", r, err)
	}
	var parents []plumbing.Hash
	if head := l.head(branch); !head.IsZero() {
		cm, err := l.repo.CommitObject(head)
		if err != nil {
			return "", false, err
		}
		if cm.TreeHash == tree {
			return head.String(), false, nil
		}
		parents = []plumbing.Hash{head}
	}
	hash, err := c.commit(l.st, tree, parents, msg, author)
	if err != nil {
		return "", false, err
	}
	if err := c.push(ctx, l, r, branch, hash, false); err != nil {
		return "", false, err
	}
	return hash.String(), true, nil
}

// Snapshot is the repository's files at ref (a branch, tag or commit
// hash) and that commit's hash.
func (c *Client) Snapshot(ctx context.Context, r Repo, ref string) (map[string][]byte, string, error) {
	l, err := c.open(ctx, r, true)
	if err != nil {
		return nil, "", err
	}
	h, err := l.repo.ResolveRevision(plumbing.Revision(ref))
	if err != nil {
		return nil, "", fmt.Errorf("%s: no branch, tag or commit %q: %w", r, ref, err)
	}
	cm, err := commitOf(l.repo, *h)
	if err != nil {
		return nil, "", fmt.Errorf("%s at %s: %w", r, ref, err)
	}
	files, err := filesOf(cm)
	if err != nil {
		return nil, "", fmt.Errorf("%s at %s: %w", r, ref, err)
	}
	return files, cm.Hash.String(), nil
}

func filesOf(cm *object.Commit) (map[string][]byte, error) {
	iter, err := cm.Files()
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	err = iter.ForEach(func(f *object.File) error {
		rd, err := f.Reader()
		if err != nil {
			return err
		}
		defer rd.Close()
		out[f.Name], err = io.ReadAll(rd)
		return err
	})
	return out, err
}
