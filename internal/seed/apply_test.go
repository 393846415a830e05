package seed

import (
	"context"
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
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
	// Gitea's database archives through the Barman Cloud plugin, whose
	// chart (in the crds layer) installs the ObjectStore CRD: before it
	// serves, every other object is applied and the error names the one
	// left, so the Job retries.
	n, err := Apply(ctx, env.Config, tree, dirs)
	if err == nil || !strings.Contains(err.Error(), "ObjectStore gitea/gitea-pg-archive (barmancloud.cnpg.io/v1)") {
		t.Fatalf("apply before the plugin serves ObjectStore = %v, want the error naming it", err)
	}
	if n < 5 {
		t.Fatalf("applied %d objects before the plugin is up, want every other object of the directory", n)
	}
	hr := &unstructured.Unstructured{}
	hr.SetAPIVersion("helm.toolkit.fluxcd.io/v2")
	hr.SetKind("HelmRelease")
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "flux-system", Name: "gitea"}, hr); err != nil {
		t.Fatalf("HelmRelease flux-system/gitea not there after apply: %v", err)
	}
	installObjectStoreStandIn(t)
	m, err := Apply(ctx, env.Config, tree, dirs)
	if err != nil || m != n+1 {
		t.Fatalf("apply once ObjectStore is served = %d, %v; want %d objects", m, err, n+1)
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

// installObjectStoreStandIn serves barmancloud.cnpg.io/v1 ObjectStore
// with a schema that keeps every field. A stand-in: the Barman Cloud
// plugin's CRD is not in ../shared/crds and cannot be fetched here, so
// this checks the seed's retry, not the ObjectStore's shape.
func installObjectStoreStandIn(t *testing.T) {
	t.Helper()
	crd := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "objectstores.barmancloud.cnpg.io"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "barmancloud.cnpg.io",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "objectstores", Singular: "objectstore", Kind: "ObjectStore", ListKind: "ObjectStoreList"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{{
				Name: "v1", Served: true, Storage: true,
				Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
					Type: "object", XPreserveUnknownFields: ptr.To(true),
				}},
			}},
		},
	}
	if err := env.Client.Create(context.Background(), crd); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { env.Client.Delete(context.Background(), crd) })
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got := &apiextensionsv1.CustomResourceDefinition{}
		if err := env.Client.Get(context.Background(), client.ObjectKeyFromObject(crd), got); err == nil {
			for _, c := range got.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the stand-in ObjectStore CRD was not established")
		}
	}
}
