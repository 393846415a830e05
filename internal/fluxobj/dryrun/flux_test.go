package dryrun

import (
	"context"
	"testing"

	"github.com/openova-io/openova/internal/fluxobj"
)

// Every Helm-delivered component of the real catalog yields Flux objects
// that the API server, with Flux's CRDs, accepts.
func TestFluxObjectsOfTheRealCatalogAreAccepted(t *testing.T) {
	ctx := context.Background()
	c := realCatalog(t)
	if err := env.EnsureNamespace(ctx, fluxobj.DefaultNamespace); err != nil {
		t.Fatal(err)
	}
	var components, objects int
	for _, b := range c.Blueprints {
		if len(b.Spec.Delivery.Helm) == 0 {
			continue
		}
		components++
		objs, err := fluxobj.HelmReleaseObjects(b, sampleTenant)
		if err != nil {
			t.Errorf("%s: %v", b.Name(), err)
			continue
		}
		if len(objs) != 2*len(b.Spec.Delivery.Helm) {
			t.Errorf("%s: %d charts gave %d objects", b.Name(), len(b.Spec.Delivery.Helm), len(objs))
		}
		for _, o := range objs {
			objects++
			if err := env.ServerSideDryRun(ctx, o); err != nil {
				t.Errorf("%s: rejected: %v", b.Name(), err)
			}
		}
	}
	if components == 0 {
		t.Fatal("no Helm-delivered component in the catalog")
	}
	t.Logf("%d Helm-delivered components, %d Flux objects dry-run", components, objects)
}
