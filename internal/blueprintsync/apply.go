package blueprintsync

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/openova-io/openova/internal/forge"
)

// Branch is the branch each mirrored repository keeps its latest content on.
const Branch = "main"

// Author signs the sync's commits.
var Author = forge.Signature{Name: "catalyst blueprints sync", Email: "blueprints-sync@catalyst.openova.io"}

// RepoState says what a sync did to a repository's main branch.
type RepoState string

const (
	RepoCreated   RepoState = "created"   // main did not exist: first commit
	RepoUpdated   RepoState = "updated"   // one new commit with the new content
	RepoUnchanged RepoState = "unchanged" // main already held exactly this content
	RepoFailed    RepoState = "failed"
)

// TagState says what a sync did to a repository's version tag.
type TagState string

const (
	TagCreated TagState = "created"
	TagPresent TagState = "present" // already there, on this very content
	TagNone    TagState = "none"    // products carry no version
)

// Result is one repository's line of the report.
type Result struct {
	Repo    string    `json:"repository"` // org/name
	Kind    Kind      `json:"kind"`
	Source  string    `json:"source"`
	Version string    `json:"version,omitempty"`
	Tag     string    `json:"tag,omitempty"`
	State   RepoState `json:"state"`
	TagDone TagState  `json:"tagState,omitempty"`
	Commit  string    `json:"commit,omitempty"`
	Error   string    `json:"error,omitempty"`
}

// ErrTagConflict: a version's tag already holds other content, which
// would change what every installation of that version gets.
var ErrTagConflict = errors.New("tag already holds other content")

// DefaultWorkers is how many repositories Apply syncs at once by default.
const DefaultWorkers = 4

// Apply makes the organisation hold the plan: org, each repository, its
// main branch and its version tag. A repository that fails does not stop
// the others; the error lists every failure. Running it again over an
// organisation that holds the plan writes nothing. workers repositories
// are synced at once (at least one); results are in plan order.
func Apply(ctx context.Context, c *forge.Client, p Plan, workers int) ([]Result, error) {
	if err := c.EnsureOrg(ctx, p.Org); err != nil {
		return nil, err
	}
	out := make([]Result, len(p.Repos))
	errs := make([]error, len(p.Repos))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(workers, len(p.Repos))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				res, err := applyRepo(ctx, c, p.Org, p.Repos[i])
				if err != nil {
					res.State, res.Error = RepoFailed, err.Error()
				}
				out[i], errs[i] = res, err
			}
		}()
	}
	for i := range p.Repos {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		for i, r := range p.Repos {
			if out[i].Repo == "" {
				out[i] = Result{Repo: p.Org + "/" + r.Name, Kind: r.Kind, Source: r.Source, Version: r.Version, Tag: r.Tag,
					State: RepoFailed, TagDone: TagNone, Error: "not attempted"}
			}
		}
		return out, fmt.Errorf("sync stopped (%w): re-run it to finish; what is done stays done", err)
	}
	return out, errors.Join(errs...)
}

// applyRepo checks the tag before writing anything, so that a content
// change without a version bump leaves the repository untouched.
func applyRepo(ctx context.Context, c *forge.Client, org string, r Repo) (Result, error) {
	fr := forge.Repo{Owner: org, Name: r.Name}
	res := Result{Repo: fr.String(), Kind: r.Kind, Source: r.Source, Version: r.Version, Tag: r.Tag, TagDone: TagNone}
	want, err := forge.TreeHash(r.Files)
	if err != nil {
		return res, fmt.Errorf("%s: %w", r.Source, err)
	}
	if err := c.EnsureRepo(ctx, fr); err != nil {
		return res, err
	}
	names := []string{Branch}
	if r.Tag != "" {
		names = append(names, r.Tag)
	}
	heads, err := c.Heads(ctx, fr, names...)
	if err != nil {
		return res, err
	}
	tag, tagged := heads[r.Tag]
	if tagged && tag.Tree != want {
		return res, fmt.Errorf("%s %s: %s differs from what tag %s holds in %s (commit %s): %w; bump spec.version in %s/blueprint.yaml and add a changelog entry, then sync again",
			r.Kind, r.Name, r.Source, r.Tag, fr, short(tag.Commit), ErrTagConflict, r.Source)
	}
	main, exists := heads[Branch]
	switch {
	case exists && main.Tree == want:
		res.State, res.Commit = RepoUnchanged, main.Commit
	default:
		msg := fmt.Sprintf("Sync %s from the OpenOva catalog (%s)", r.Source, versionOrLatest(r.Version))
		commit, _, err := c.PushTree(ctx, fr, Branch, r.Files, msg, Author)
		if err != nil {
			return res, err
		}
		res.State, res.Commit = RepoUpdated, commit
		if !exists {
			res.State = RepoCreated
		}
	}
	switch {
	case r.Tag == "":
	case tagged:
		res.TagDone = TagPresent
	default:
		if _, err := c.EnsureTag(ctx, fr, r.Tag, res.Commit); err != nil {
			return res, err
		}
		res.TagDone = TagCreated
	}
	return res, nil
}

func versionOrLatest(v string) string {
	if v == "" {
		return "latest"
	}
	return "v" + v
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
