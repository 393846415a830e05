package dryrun

import (
	"testing"

	openova "github.com/openova-io/openova"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/fluxobj"
	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, func(e *testenv.Env) { env = e }) }

// sampleTenant fills every placeholder, as the instance generator would.
var sampleTenant = fluxobj.Values{
	Tenant: "acme", Domain: "acme.example", Region: "fsn1", Cluster: "acme-fsn1", PeerRegion: "nbg1",
	Registry: "harbor.acme.example/mirror", ArchivalS3: "https://s3.acme.example", ArchivalBucket: "acme-archive", ArchivalRegion: "auto",
	BlueprintGitBase: "https://gitea.acme.example/openova",
}

func realCatalog(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load(openova.Catalog)
	if err != nil {
		t.Fatalf("the embedded catalog does not load: %v", err)
	}
	return c
}
