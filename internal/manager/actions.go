package manager

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/instance"
	"github.com/openova-io/openova/internal/regen"
)

// Forge is what the day-2 actions need of the forge hosting the instance
// repository (*forge.Client).
type Forge interface {
	Snapshot(ctx context.Context, r forge.Repo, ref string) (map[string][]byte, string, error)
	Propose(ctx context.Context, ch forge.Change) (forge.PullRequest, error)
	PullRequest(ctx context.Context, r forge.Repo, number int64) (forge.PullRequest, error)
}

// ErrNothingToChange is an action whose change is already in the base
// branch: no pull request is opened.
var ErrNothingToChange = errors.New("the instance repository already has this change")

// Actions open the pull requests of day-2 changes in the instance
// repository: upgrade a component, enable a capability pack, add a
// cluster. Each is the generator's output for the edited instance, opened
// on a branch Catalyst owns; merging is a human's job (four eyes).
type Actions struct {
	Forge   Forge
	Repo    forge.Repo
	Base    string // protected branch Flux follows, e.g. main
	Catalog *catalog.Catalog
	Author  forge.Signature
	// Client records upgrade pull requests on Blueprint status; nil skips it.
	Client client.Client
}

// Upgrade proposes moving component to the catalog's blueprint version.
func (a *Actions) Upgrade(ctx context.Context, component string) (forge.PullRequest, error) {
	b, ok := a.Catalog.Blueprint(component)
	if !ok {
		return forge.PullRequest{}, fmt.Errorf("upgrade %s: no such blueprint in the catalog", component)
	}
	files, _, err := a.Forge.Snapshot(ctx, a.Repo, a.Base)
	if err != nil {
		return forge.PullRequest{}, err
	}
	lock, err := regen.ParseLock(files)
	if err != nil {
		return forge.PullRequest{}, err
	}
	from := lock.Components[component].Blueprint
	ch, err := regen.Upgrade(files, a.Catalog, component, b.Spec.Version)
	if err != nil {
		return forge.PullRequest{}, err
	}
	title, body := UpgradeProposal(b, from, ch)
	pr, err := a.propose(ctx, "catalyst/upgrade-"+component+"-"+b.Spec.Version, title, body, ch)
	if err != nil {
		return pr, err
	}
	return pr, a.recordUpgrade(ctx, component, b.Spec.Version, pr)
}

// EnablePack proposes adding products or à la carte components.
func (a *Actions) EnablePack(ctx context.Context, names ...string) (forge.PullRequest, error) {
	files, _, err := a.Forge.Snapshot(ctx, a.Repo, a.Base)
	if err != nil {
		return forge.PullRequest{}, err
	}
	ch, err := regen.EnablePack(files, a.Catalog, names...)
	if err != nil {
		return forge.PullRequest{}, err
	}
	name := strings.Join(names, "-")
	title := "Enable " + strings.Join(names, ", ")
	body := "Adds " + strings.Join(names, ", ") + " to `instance.yaml` with the components they need, at the catalog's blueprint versions; " +
		"every installed component stays at its locked version.\n\n" + fileList(ch)
	return a.propose(ctx, "catalyst/enable-"+name, title, body, ch)
}

// AddRegion proposes a new region (cluster).
func (a *Actions) AddRegion(ctx context.Context, r instance.Region) (forge.PullRequest, error) {
	files, _, err := a.Forge.Snapshot(ctx, a.Repo, a.Base)
	if err != nil {
		return forge.PullRequest{}, err
	}
	ch, err := regen.AddRegion(files, a.Catalog, r)
	if err != nil {
		return forge.PullRequest{}, err
	}
	title := fmt.Sprintf("Add region %s (%s)", r.Name, r.Location)
	body := fmt.Sprintf("Adds region %s in %s to `instance.yaml`: its OpenTofu, bootstrap bundle and Flux tree, and the "+
		"cross-region wiring of the existing regions. Merging lets `tofu plan` run in the checks; apply it as for day 1.\n\n%s",
		r.Name, r.Location, fileList(ch))
	return a.propose(ctx, "catalyst/add-region-"+r.Name, title, body, ch)
}

type requesterKey struct{}

// WithRequester names the person asking for an action; the pull request
// body says who it was, so the reviewer knows whom to ask.
func WithRequester(ctx context.Context, who string) context.Context {
	return context.WithValue(ctx, requesterKey{}, who)
}

func (a *Actions) propose(ctx context.Context, branch, title, body string, ch regen.Change) (forge.PullRequest, error) {
	if ch.Empty() {
		return forge.PullRequest{}, ErrNothingToChange
	}
	if who, _ := ctx.Value(requesterKey{}).(string); who != "" {
		body += "\n\nRequested by " + who + " in the Catalyst dashboard."
	}
	pr, err := a.Forge.Propose(ctx, forge.Change{Repo: a.Repo, Base: a.Base, Branch: branch, Title: title,
		Body:   body + "\n\nOpened by the Catalyst lifecycle manager, which never approves or merges its own pull requests.",
		Author: a.Author, Files: ch.Files, Delete: ch.Delete})
	if errors.Is(err, forge.ErrNoChange) {
		return pr, ErrNothingToChange
	}
	return pr, err
}

func (a *Actions) recordUpgrade(ctx context.Context, component, version string, pr forge.PullRequest) error {
	if a.Client == nil {
		return nil
	}
	var bp platformv1.Blueprint
	if err := a.Client.Get(ctx, client.ObjectKey{Name: component}, &bp); err != nil {
		return fmt.Errorf("pull request %s opened, but Blueprint %s: %w", pr.URL, component, err)
	}
	patch := client.MergeFrom(bp.DeepCopy())
	bp.Status.UpgradePullRequest = &platformv1.UpgradePullRequest{Version: version,
		PullRequest: platformv1.PullRequest{URL: pr.URL, Number: pr.Number, Branch: pr.Branch, MergeCommit: pr.MergeCommit}}
	if err := a.Client.Status().Patch(ctx, &bp, patch); err != nil {
		return fmt.Errorf("pull request %s opened, but Blueprint %s: record it on status: %w", pr.URL, component, err)
	}
	return nil
}

// UpgradeProposal is an upgrade pull request's title and body: the
// component, from → to, the changelog entries in between and the files.
func UpgradeProposal(b *catalog.Blueprint, from string, ch regen.Change) (title, body string) {
	to := b.Spec.Version
	title = fmt.Sprintf("Upgrade %s %s → %s", b.Name(), from, to)
	var s strings.Builder
	fmt.Fprintf(&s, "Upgrades the blueprint **%s** from %s to %s (upstream %s). Only this component's files and its entry in `openova.lock` change.\n\n",
		b.Name(), from, to, b.Spec.Upstream.AppVersion)
	s.WriteString("### Changelog\n\n")
	for _, e := range ChangesBetween(b.Spec.Changelog, from, to) {
		fmt.Fprintf(&s, "**%s** (%s)\n", e.Version, e.Date)
		for _, c := range e.Changes {
			fmt.Fprintf(&s, "- %s\n", c)
		}
		s.WriteString("\n")
	}
	s.WriteString(fileList(ch))
	return title, s.String()
}

// ChangesBetween are the changelog entries newer than from, up to to.
func ChangesBetween(log []catalog.ChangelogEntry, from, to string) []catalog.ChangelogEntry {
	lo, err1 := semver.NewVersion(from)
	hi, err2 := semver.NewVersion(to)
	var out []catalog.ChangelogEntry
	for _, e := range log {
		v, err := semver.NewVersion(e.Version)
		if err != nil || err1 != nil || err2 != nil {
			continue
		}
		if v.GreaterThan(lo) && !v.GreaterThan(hi) {
			out = append(out, e)
		}
	}
	return out
}

func fileList(ch regen.Change) string {
	var s strings.Builder
	fmt.Fprintf(&s, "### Files (%d added, %d modified, %d removed)\n\n```\n", len(ch.Stat.Added), len(ch.Stat.Modified), len(ch.Stat.Removed))
	_ = ch.Stat.WriteStat(&s)
	s.WriteString("```\n")
	return s.String()
}
