package manager_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/manager"
)

const golden = "../generate/testdata/golden/one-region"

// The PlatformInstance built from a generated tree is accepted by the API
// server, and the tree's own HelmReleases, stored and read back, show no
// drift against it.
func TestInstanceFromTree(t *testing.T) {
	ctx := context.Background()
	pi, err := manager.InstanceFromTree(os.DirFS(golden), "fsn", "golden", []string{"fsn"})
	if err != nil {
		t.Fatal(err)
	}
	var cm platformv1.InstalledComponent
	withReleases := 0
	for _, c := range pi.Spec.Components {
		if c.Name == "cert-manager" {
			cm = c
		}
		if len(c.Releases) > 0 {
			withReleases++
		}
	}
	if cm.BlueprintVersion == "" || cm.AppVersion == "" || len(cm.Releases) != 1 ||
		cm.Releases[0].Namespace != "flux-system" || cm.Releases[0].ChartVersion == "" || !strings.HasPrefix(cm.Releases[0].ValuesDigest, "sha256:") {
		t.Fatalf("cert-manager = %+v", cm)
	}
	if withReleases < 15 {
		t.Errorf("only %d components with HelmReleases found in the golden tree", withReleases)
	}
	if err := env.Client.Create(ctx, pi); err != nil {
		t.Fatalf("create the PlatformInstance built from the tree: %v", err)
	}

	// Store the golden cert-manager HelmRelease and read it back as the manager would.
	raw, err := os.ReadFile(filepath.Join(golden, "clusters/fsn/crds/cert-manager/release.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var stored *unstructured.Unstructured
	for _, doc := range strings.Split(string(raw), "\n---\n") {
		var m map[string]any
		if err := yaml.Unmarshal([]byte(doc), &m); err != nil {
			t.Fatal(err)
		}
		if m["kind"] != "HelmRelease" {
			continue
		}
		u := &unstructured.Unstructured{Object: m}
		if err := env.EnsureNamespace(ctx, u.GetNamespace()); err != nil {
			t.Fatal(err)
		}
		if err := env.Client.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
		stored = &unstructured.Unstructured{}
		stored.SetGroupVersionKind(manager.HelmReleaseGVK)
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(u), stored); err != nil {
			t.Fatal(err)
		}
	}
	if stored == nil {
		t.Fatal("no HelmRelease in the golden cert-manager release.yaml")
	}
	o, err := manager.Observe(stored)
	if err != nil {
		t.Fatal(err)
	}
	if o.ValuesDigest != cm.Releases[0].ValuesDigest || o.SpecChartVersion != cm.Releases[0].ChartVersion {
		t.Errorf("stored HelmRelease digest %s chart %s; tree says %s %s", o.ValuesDigest, o.SpecChartVersion,
			cm.Releases[0].ValuesDigest, cm.Releases[0].ChartVersion)
	}
	st := manager.Evaluate(platformv1.PlatformInstanceSpec{Components: []platformv1.InstalledComponent{cm}},
		map[manager.Key]manager.Observation{{Kind: platformv1.KindHelmRelease, Namespace: stored.GetNamespace(), Name: stored.GetName()}: o}, nil)
	if st.Drifted != 0 {
		t.Errorf("the tree's own HelmRelease drifted: %q", st.Components[0].Drift)
	}

	if _, err := manager.InstanceFromTree(os.DirFS(golden), "nowhere", "golden", []string{"fsn"}); err == nil || !strings.Contains(err.Error(), "clusters/nowhere") {
		t.Errorf("unknown cluster: %v, want an error naming clusters/nowhere", err)
	}
	if _, err := manager.InstanceFromTree(os.DirFS(t.TempDir()), "fsn", "golden", []string{"fsn"}); err == nil || !strings.Contains(err.Error(), "catalyst generate") {
		t.Errorf("no lock: %v, want the fix named", err)
	}
}

// The PlatformInstance the generator writes into the tree (Flux applies
// it) is the one the manager derives from the tree's lock and HelmReleases.
func TestRenderedInstanceMatchesTree(t *testing.T) {
	for _, c := range []struct{ golden, cluster string }{{"one-region", "fsn"}, {"two-region", "hel"}} {
		dir := "../generate/testdata/golden/" + c.golden
		raw, err := os.ReadFile(filepath.Join(dir, "clusters", c.cluster, "crds/catalyst/platform-instance.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		var rendered platformv1.PlatformInstance
		if err := yaml.Unmarshal(raw, &rendered); err != nil {
			t.Fatal(err)
		}
		derived, err := manager.InstanceFromTree(os.DirFS(dir), c.cluster, rendered.Spec.Tenant, rendered.Spec.Regions)
		if err != nil {
			t.Fatal(err)
		}
		if !equality.Semantic.DeepEqual(rendered.Spec, derived.Spec) || rendered.Name != derived.Name {
			t.Errorf("%s/%s: the rendered PlatformInstance differs from the one derived from the tree", c.golden, c.cluster)
		}
	}
}
