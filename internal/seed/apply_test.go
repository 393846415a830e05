package seed

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/openova-io/openova/internal/generate"
	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, func(e *testenv.Env) { env = e }) }

// Gitea's directory of the one-region tree applies to the real
// kube-apiserver (namespace first), and applying it again succeeds and
// leaves the objects as they were.
func TestApplyGiteaDirectory(t *testing.T) {
	ctx := context.Background()
	spec, cat := example(t, "one-region.yaml")
	tree, err := generate.Generate(spec, cat)
	if err != nil {
		t.Fatal(err)
	}
	// The bootstrap bundle's Flux operator made flux-system before the seed runs.
	if err := env.EnsureNamespace(ctx, "flux-system"); err != nil {
		t.Fatal(err)
	}
	dirs := []string{"clusters/fsn/infrastructure/gitea"}
	n, err := Apply(ctx, env.Config, tree, dirs)
	if err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Fatalf("applied %d objects, want every object of the directory", n)
	}
	hr := &unstructured.Unstructured{}
	hr.SetAPIVersion("helm.toolkit.fluxcd.io/v2")
	hr.SetKind("HelmRelease")
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "flux-system", Name: "gitea"}, hr); err != nil {
		t.Fatalf("HelmRelease flux-system/gitea not there after apply: %v", err)
	}
	// The resourceVersion may move (the CRD's status defaults are written
	// again); generation counts spec changes.
	gen := hr.GetGeneration()
	if _, err := Apply(ctx, env.Config, tree, dirs); err != nil {
		t.Fatalf("re-apply: %v", err)
	}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(hr), hr); err != nil || hr.GetGeneration() != gen {
		t.Fatalf("re-apply changed the HelmRelease's spec (generation %d -> %d, %v)", gen, hr.GetGeneration(), err)
	}
	if _, err := Apply(ctx, env.Config, tree, []string{"clusters/nowhere"}); err == nil || !strings.Contains(err.Error(), "clusters/nowhere") {
		t.Fatalf("unknown directory: %v", err)
	}
}
