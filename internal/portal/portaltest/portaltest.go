// Package portaltest sets up what the portal's tests share: an instance
// repository seeded into a real Gitea (giteatest) as catalyst seed leaves
// it, the teams of the tests, and a portal.Service over both.
package portaltest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/catalog/catalogtest"
	"github.com/openova-io/openova/internal/filetree"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/generate"
	"github.com/openova-io/openova/internal/giteatest"
	"github.com/openova-io/openova/internal/portal"
	"github.com/openova-io/openova/internal/testenv"
)

// TeamsYAML: payments-devs may request into payments and payments-staging,
// risk into risk.
const TeamsYAML = `
teams:
  - name: payments
    groups: [payments-devs]
    namespaces: [payments, payments-staging]
  - name: risk
    groups: [risk]
    namespaces: [risk]
`

// RequestsNamespace holds the PortalRequests in tests.
const RequestsNamespace = "catalyst"

// Catalog is the embedded catalog.
func Catalog(t testing.TB) *catalog.Catalog { return catalogtest.Embedded(t) }

// Seed generates examples/<example> and pushes it to main of a new
// repository acme/acme-private, then protects main (one approval), as the
// bootstrap does.
func Seed(t testing.TB, srv *giteatest.Server, cat *catalog.Catalog, example string) forge.Repo {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	spec, err := os.ReadFile(filepath.Join(root, "examples", example))
	if err != nil {
		t.Fatal(err)
	}
	tree, err := generate.Generate(spec, cat)
	if err != nil {
		t.Fatal(err)
	}
	files := filetree.Checkout(tree) // as catalyst seed pushes it
	ctx := context.Background()
	fc := srv.Client(t)
	repo := forge.Repo{Owner: "acme", Name: "acme-private"}
	if err := fc.EnsureOrg(ctx, repo.Owner); err != nil {
		t.Fatal(err)
	}
	if err := fc.EnsureRepo(ctx, repo); err != nil {
		t.Fatal(err)
	}
	if _, _, err := fc.PushTree(ctx, repo, "main", files, "seed", forge.Signature{Name: "seed", Email: "seed@acme.example"}); err != nil {
		t.Fatal(err)
	}
	if err := fc.ProtectBranch(ctx, repo, forge.MainProtection(1, "")); err != nil {
		t.Fatal(err)
	}
	return repo
}

// Service is the portal over the Gitea (as its admin, Catalyst's identity)
// and kube, with PortalRequests in RequestsNamespace.
func Service(t testing.TB, srv *giteatest.Server, kube client.Client, cat *catalog.Catalog, repo forge.Repo) *portal.Service {
	t.Helper()
	teams, err := portal.LoadTeams([]byte(TeamsYAML))
	if err != nil {
		t.Fatal(err)
	}
	return &portal.Service{Catalog: cat, Teams: teams, Kube: kube, Namespace: RequestsNamespace,
		Forge: srv.Client(t), Repo: repo, Base: "main"}
}

// Tier1 is the journey's request: Tier-1 Postgres for the payments team.
func Tier1() portal.Request {
	return portal.Request{Blueprint: "cnpg", Name: "orders-db", Namespace: "payments",
		RequestedBy: "alice@bank.example", Groups: []string{"payments-devs"},
		Values: map[string]any{"tier": "tier-1", "size": "M", "backup": "continuous", "networkProfile": "peer-region"}}
}
