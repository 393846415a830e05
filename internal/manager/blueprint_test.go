package manager_test

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	openova "github.com/openova-io/openova"
	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/manager"
)

// Every blueprint of the embedded catalog becomes a Blueprint the API
// server accepts, and its support matrix supports the version it pins.
func TestCatalogBlueprints(t *testing.T) {
	cat, err := catalog.Load(openova.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	claims := 0
	for _, b := range cat.Blueprints {
		obj, err := manager.BlueprintObject(b)
		if err != nil {
			t.Fatal(err)
		}
		if obj.Spec.Claim != nil {
			claims++
		}
		m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.ServerSideDryRun(context.Background(), &unstructured.Unstructured{Object: m}); err != nil {
			t.Errorf("Blueprint %s: %v", b.Name(), err)
		}
		if b.Spec.Upstream.AppVersion == "" {
			continue
		}
		s, err := manager.Judge(b.Spec.Upstream.AppVersion, obj.Spec.Support)
		if err != nil || s != platformv1.SupportSupported {
			t.Errorf("%s: pinned app version %s judged %s (%v) by its own support matrix", b.Dir, b.Spec.Upstream.AppVersion, s, err)
		}
	}
	if len(cat.Blueprints) < 50 || claims == 0 {
		t.Errorf("%d blueprints, %d with a claim: the embedded catalog looks incomplete", len(cat.Blueprints), claims)
	}
}
