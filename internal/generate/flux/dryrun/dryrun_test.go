package dryrun

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/generate"
	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, func(e *testenv.Env) { env = e }) }

// moduleCRDs are CRDs of objects the tree generates whose CRDs are not in
// ../shared/crds: taken from the Go modules that ship them, at the
// versions the catalog pins.
var moduleCRDs = []struct {
	component, module string
	version           func(*catalog.Blueprint) string
	files             []string
}{
	{"cilium", "github.com/cilium/cilium", func(b *catalog.Blueprint) string { return "v" + b.Spec.Delivery.Helm[0].Version }, []string{
		"pkg/k8s/apis/cilium.io/client/crds/v2/ciliumloadbalancerippools.yaml",
		"pkg/k8s/apis/cilium.io/client/crds/v2alpha1/ciliuml2announcementpolicies.yaml",
		"pkg/k8s/apis/cilium.io/client/crds/v2/ciliumnetworkpolicies.yaml",
	}},
	{"flux", "github.com/controlplaneio-fluxcd/flux-operator", func(b *catalog.Blueprint) string { return "v" + b.Spec.Delivery.Helm[0].Version }, []string{
		"config/crd/bases/fluxcd.controlplane.io_fluxinstances.yaml",
	}},
}

// notServedHere are kinds whose CRDs neither ../shared/crds nor a Go
// module provides here; their objects are counted and named, not applied.
var notServedHere = map[string]string{
	"helm.cattle.io/v1, Kind=HelmChart":                   "k3s's helm-controller builds its CRD in Go code, not as a manifest",
	"kafka.strimzi.io/v1, Kind=KafkaConnect":              "../shared/crds has Strimzi's Kafka, KafkaTopic, KafkaUser, KafkaNodePool, KafkaMirrorMaker2 only",
	"operator.knative.dev/v1beta1, Kind=KnativeServing":   "knative operator CRDs are not in ../shared/crds",
	"serving.kserve.io/v1beta1, Kind=InferenceService":    "KServe CRDs are not in ../shared/crds",
	"kustomize.config.k8s.io/v1beta1, Kind=Kustomization": "kustomize build configuration, read by kustomize-controller, not a Kubernetes object",
	"barmancloud.cnpg.io/v1, Kind=ObjectStore":            "the Barman Cloud plugin's CRD is not in ../shared/crds (CNPG v1.30.0 ships Cluster, Backup, ScheduledBackup, Pooler, Database only)",
}

// Every object of both examples' trees, Flux layers and bootstrap bundles,
// is accepted by the API server: zero rejected.
func TestEveryGeneratedObjectIsAccepted(t *testing.T) {
	ctx := context.Background()
	cat, err := catalog.LoadDir("../../../..")
	if err != nil {
		t.Fatal(err)
	}
	installModuleCRDs(t, ctx, cat)
	for name, v := range map[string]struct{ file, old, new string }{
		"one-region": {file: "one-region.yaml"},
		"two-region": {file: "two-region.yaml"},
		"cilium-l2":  {file: "one-region.yaml", old: "type: cloud", new: "type: cilium-l2"},
	} {
		t.Run(name, func(t *testing.T) {
			spec, err := os.ReadFile(filepath.Join("../../../../examples", v.file))
			if err != nil {
				t.Fatal(err)
			}
			if v.old != "" {
				spec = bytes.Replace(spec, []byte(v.old), []byte(v.new), 1)
			}
			tree, err := generate.Generate(spec, cat)
			if err != nil {
				t.Fatal(err)
			}
			var objs []*unstructured.Unstructured
			for _, p := range tree.Paths() {
				if !strings.HasPrefix(p, "clusters/") && !strings.HasPrefix(p, "bootstrap/") || strings.HasSuffix(p, ".md") {
					continue
				}
				data, _ := tree.Get(p)
				docs, err := decode(data)
				if err != nil {
					t.Fatalf("%s: %v", p, err)
				}
				objs = append(objs, docs...)
			}
			// Namespaces first, as Flux applies them.
			for _, o := range objs {
				if ns := o.GetNamespace(); ns != "" {
					if err := env.EnsureNamespace(ctx, ns); err != nil {
						t.Fatal(err)
					}
				}
			}
			applied, skipped, kinds := 0, map[string]int{}, map[string]bool{}
			for _, o := range objs {
				kinds[o.GetKind()] = true
				gvk := o.GroupVersionKind().String()
				if _, skip := notServedHere[gvk]; skip {
					skipped[gvk]++
					continue
				}
				applied++
				if err := env.ServerSideDryRun(ctx, o); err != nil {
					t.Errorf("rejected: %v", err)
				}
			}
			t.Logf("%d objects dry-run, not served here: %v", applied, skipped)
			if v.new == "type: cilium-l2" && !kinds["CiliumL2AnnouncementPolicy"] {
				t.Error("the Cilium L2 option generated no CiliumL2AnnouncementPolicy")
			}
			if applied < 50 {
				t.Errorf("only %d objects dry-run: the tree is missing most of the platform", applied)
			}
		})
	}
}

func decode(data []byte) ([]*unstructured.Unstructured, error) {
	d := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var out []*unstructured.Unstructured
	for {
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(m) > 0 {
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
}

func installModuleCRDs(t *testing.T, ctx context.Context, cat *catalog.Catalog) {
	t.Helper()
	for _, mc := range moduleCRDs {
		b, ok := cat.Blueprint(mc.component)
		if !ok {
			t.Fatalf("no %s blueprint", mc.component)
		}
		dir := downloadModule(t, mc.module, mc.version(b))
		for _, f := range mc.files {
			data, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			crd := &unstructured.Unstructured{}
			if err := yaml.Unmarshal(data, &crd.Object); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if err := env.Client.Create(ctx, crd); err != nil && !apierrors.IsAlreadyExists(err) {
				t.Fatalf("%s: %v", f, err)
			}
			waitEstablished(t, ctx, crd.GetName())
		}
	}
}

func waitEstablished(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		crd := &unstructured.Unstructured{}
		crd.SetAPIVersion("apiextensions.k8s.io/v1")
		crd.SetKind("CustomResourceDefinition")
		if err := env.Client.Get(ctx, client.ObjectKey{Name: name}, crd); err == nil {
			conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
			for _, c := range conds {
				m, _ := c.(map[string]any)
				if m["type"] == "Established" && m["status"] == "True" {
					time.Sleep(time.Second) // discovery catches up
					return
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("CRD %s not established", name)
}

// downloadModule fetches a module from the Go module proxy outside our
// go.mod (nothing is added to it).
func downloadModule(t *testing.T, module, version string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = t.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=on")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(stdout.Bytes(), &info); err != nil || info.Error != "" || info.Dir == "" {
		t.Fatalf("go mod download %s@%s: %v %s %s", module, version, runErr, info.Error, stderr.String())
	}
	return info.Dir
}
