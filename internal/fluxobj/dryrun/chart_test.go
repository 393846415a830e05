package dryrun

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/releaseutil"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/yaml"

	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/fluxobj"
	"github.com/openova-io/openova/internal/testenv"
)

// upstreamChart is a component whose pinned chart ships inside a Go
// module, so the test can fetch it from the Go module proxy (the only
// chart source reachable here) rather than from the chart repository.
type upstreamChart struct {
	component, module, chartDir string
	// moduleVersion is the module version holding the pinned chart.
	moduleVersion func(b *catalog.Blueprint, h catalog.HelmChart) string
	// notInModule are chart dependencies fetched from other repositories
	// at release time, absent from the module and so not rendered here.
	notInModule []string
}

var upstreamCharts = []upstreamChart{
	// cert-manager's chart and module share the version (v1.21.1); its
	// Chart.yaml carries version v0.0.0, set by the release tool.
	{component: "cert-manager", module: "github.com/cert-manager/cert-manager", chartDir: "deploy/charts/cert-manager",
		moduleVersion: func(_ *catalog.Blueprint, h catalog.HelmChart) string {
			return "v" + strings.TrimPrefix(h.Version, "v")
		}},
	// kyverno's chart (3.x) is versioned apart from kyverno (1.x): the
	// module is the app version and its Chart.yaml must say the pinned one.
	{component: "kyverno", module: "github.com/kyverno/kyverno", chartDir: "charts/kyverno",
		moduleVersion: func(b *catalog.Blueprint, _ catalog.HelmChart) string {
			return "v" + strings.TrimPrefix(b.Spec.Upstream.AppVersion, "v")
		},
		notInModule: []string{"kyverno-api", "openreports", "reports-server"}},
	{component: "cilium", module: "github.com/cilium/cilium", chartDir: "install/kubernetes/cilium",
		moduleVersion: func(_ *catalog.Blueprint, h catalog.HelmChart) string {
			return "v" + strings.TrimPrefix(h.Version, "v")
		}},
}

// The pinned upstream charts, rendered by the Helm SDK with our values
// (validated against the chart's values.schema.json when it has one),
// produce objects the API server accepts: CRDs applied first, then every
// other object, hooks included, dry-run into the release namespace.
func TestUpstreamChartsRenderWithOurValues(t *testing.T) {
	c := realCatalog(t)
	for _, uc := range upstreamCharts {
		t.Run(uc.component, func(t *testing.T) {
			b, ok := c.Blueprint(uc.component)
			if !ok {
				t.Fatalf("the catalog has no %s", uc.component)
			}
			if len(b.Spec.Delivery.Helm) != 1 {
				t.Fatalf("%s: expected one chart, found %d", uc.component, len(b.Spec.Delivery.Helm))
			}
			h := b.Spec.Delivery.Helm[0]
			dir := downloadModule(t, uc.module, uc.moduleVersion(b, h))
			chrt := loadChart(t, filepath.Join(dir, uc.chartDir), h, uc)
			values := ourValues(t, b)
			if chrt.Schema != nil {
				if err := chartutil.ValidateAgainstSchema(chrt, values); err != nil {
					t.Fatalf("our values break %s's values.schema.json: %v", h.Chart, err)
				}
			} else {
				t.Logf("%s %s has no values.schema.json: values are checked only by rendering", h.Chart, h.Version)
			}
			crds, objs := render(t, chrt, h.Release, b.Spec.Namespace, values)
			applyCRDs(t, crds)
			ctx := context.Background()
			if err := env.EnsureNamespace(ctx, b.Spec.Namespace); err != nil {
				t.Fatal(err)
			}
			// Helm creates a chart's namespaces before the objects in them
			// (Cilium's cilium-secrets): apply those for real, then dry-run
			// everything, the namespaces included.
			for _, o := range objs {
				if o.GetKind() == "Namespace" && o.GetAPIVersion() == "v1" {
					if err := env.Apply(ctx, o); err != nil {
						t.Fatalf("namespace rejected: %v", err)
					}
				}
			}
			for _, o := range objs {
				if err := env.ServerSideDryRun(ctx, o); err != nil {
					t.Errorf("rejected: %v", err)
				}
			}
			t.Logf("%s %s (module %s@%s): %d CRDs applied, %d objects dry-run",
				h.Chart, h.Version, uc.module, uc.moduleVersion(b, h), len(crds), len(objs))
		})
	}
}

// downloadModule fetches module@version through the Go module proxy into
// the module cache (outside this repository's go.mod) and returns its
// directory.
func downloadModule(t *testing.T, module, version string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "download", "-json", module+"@"+version)
	cmd.Dir = t.TempDir() // no go.mod here: nothing is added to ours
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

// loadChart loads the chart and checks it is the pinned version. A chart
// whose Chart.yaml is templated upstream (version v0.0.0, filled by the
// release tool) gets the version of the module it came from, which the
// caller derived from the pinned chart version.
func loadChart(t *testing.T, dir string, h catalog.HelmChart, uc upstreamChart) *chart.Chart {
	t.Helper()
	chrt, err := loader.Load(dir)
	if err != nil {
		t.Fatalf("load chart %s: %v", dir, err)
	}
	switch strings.TrimPrefix(chrt.Metadata.Version, "v") {
	case strings.TrimPrefix(h.Version, "v"):
	case "0.0.0":
		chrt.Metadata.Version = h.Version
		chrt.Metadata.AppVersion = h.Version
	default:
		t.Fatalf("%s: the module's chart is version %s, the blueprint pins %s", dir, chrt.Metadata.Version, h.Version)
	}
	loaded := map[string]bool{}
	for _, d := range chrt.Dependencies() {
		loaded[d.Name()] = true
	}
	var missing []string
	for _, d := range chrt.Metadata.Dependencies {
		if !loaded[d.Name] {
			missing = append(missing, d.Name)
		}
	}
	sort.Strings(missing)
	want := append([]string(nil), uc.notInModule...)
	sort.Strings(want)
	if strings.Join(missing, ",") != strings.Join(want, ",") {
		t.Fatalf("%s: chart dependencies absent from the module: %v, expected exactly %v (update notInModule after checking what they install)", h.Chart, missing, want)
	}
	if len(missing) > 0 {
		t.Logf("%s: not rendered (fetched from other repositories at release time): %v", h.Chart, missing)
	}
	return chrt
}

// ourValues are the HelmRelease values fluxobj builds for the sample tenant.
func ourValues(t *testing.T, b *catalog.Blueprint) map[string]any {
	t.Helper()
	objs, err := fluxobj.HelmReleaseObjects(b, sampleTenant)
	if err != nil {
		t.Fatal(err)
	}
	values, _, err := unstructured.NestedMap(objs[1].Object, "spec", "values")
	if err != nil {
		t.Fatal(err)
	}
	if values == nil {
		values = map[string]any{}
	}
	return values
}

// render runs a client-only Helm install dry run against the capabilities
// of the test API server and returns the CRDs and the other objects.
func render(t *testing.T, chrt *chart.Chart, release, ns string, values map[string]any) (crds, objs []*unstructured.Unstructured) {
	t.Helper()
	disco, err := discovery.NewDiscoveryClientForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	kv := serverKubeVersion(t, disco)
	apis, err := action.GetVersionSet(disco)
	if err != nil {
		t.Fatal(err)
	}
	inst := action.NewInstall(&action.Configuration{Log: func(string, ...any) {}})
	inst.DryRun, inst.ClientOnly, inst.IncludeCRDs = true, true, true
	inst.ReleaseName, inst.Namespace = release, ns
	inst.KubeVersion = kv
	inst.APIVersions = apis
	rel, err := inst.Run(chrt, values)
	if err != nil {
		t.Fatalf("helm render %s: %v", chrt.Name(), err)
	}
	manifests := []string{rel.Manifest}
	for _, h := range rel.Hooks {
		manifests = append(manifests, h.Manifest)
	}
	for _, m := range manifests {
		split := releaseutil.SplitManifests(m)
		keys := make([]string, 0, len(split))
		for k := range split {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			u := &unstructured.Unstructured{}
			if err := yaml.Unmarshal([]byte(split[k]), &u.Object); err != nil {
				t.Fatalf("rendered YAML: %v\n%s", err, split[k])
			}
			if len(u.Object) == 0 {
				continue
			}
			if u.GetKind() == "CustomResourceDefinition" {
				crds = append(crds, u)
				continue
			}
			if u.GetNamespace() == "" && namespaced(t, u) {
				u.SetNamespace(ns)
			}
			objs = append(objs, u)
		}
	}
	if len(objs) == 0 {
		t.Fatalf("%s rendered no objects", chrt.Name())
	}
	return crds, objs
}

// namespaced asks the API server's mapping whether u's kind is namespaced;
// kinds it does not know yet (CRs of the chart's own CRDs) count as
// namespaced and are resolved at dry-run.
func namespaced(t *testing.T, u *unstructured.Unstructured) bool {
	gvk := u.GroupVersionKind()
	m, err := env.Client.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return true
	}
	return m.Scope.Name() == "namespace"
}

// applyCRDs installs the chart's CRDs for real and waits until each is
// established, so that the chart's objects of those kinds can be checked.
func applyCRDs(t *testing.T, crds []*unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	gvr := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	for _, crd := range crds {
		if err := env.Apply(ctx, crd); err != nil {
			t.Fatalf("CRD rejected: %v", err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, crd := range crds {
		for {
			got, err := env.Dynamic.Resource(gvr).Get(ctx, crd.GetName(), metav1.GetOptions{})
			if err == nil && established(got) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("CRD %s not established: %v", crd.GetName(), err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// serverKubeVersion is the test API server's Kubernetes version, for the
// charts' kubeVersion constraints. A kube-apiserver built from the module
// proxy (hack/testbin) reports v0.0.0-master; its version is then the
// k8s.io/kubernetes version that hack/testbin/kube-apiserver/go.mod pins.
func serverKubeVersion(t *testing.T, disco discovery.ServerVersionInterface) *chartutil.KubeVersion {
	t.Helper()
	sv, err := disco.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	version := sv.GitVersion
	if strings.HasPrefix(version, "v0.0.0") {
		root, err := testenv.RepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		gomod, err := os.ReadFile(filepath.Join(root, "hack", "testbin", "kube-apiserver", "go.mod"))
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^require k8s.io/kubernetes (v\S+)$`).FindSubmatch(gomod)
		if m == nil {
			t.Fatal("hack/testbin/kube-apiserver/go.mod does not pin k8s.io/kubernetes")
		}
		version = string(m[1])
	}
	parts := strings.SplitN(strings.TrimPrefix(version, "v"), ".", 3)
	if len(parts) < 2 {
		t.Fatalf("API server version %q is not MAJOR.MINOR.PATCH", version)
	}
	return &chartutil.KubeVersion{Version: version, Major: parts[0], Minor: parts[1]}
}

// The values check is real: a wrongly typed value is refused by
// cert-manager's values.schema.json before anything renders.
func TestChartValuesSchemaRefusesBadValues(t *testing.T) {
	c := realCatalog(t)
	b, ok := c.Blueprint("cert-manager")
	if !ok {
		t.Fatal("the catalog has no cert-manager")
	}
	h := b.Spec.Delivery.Helm[0]
	uc := upstreamCharts[0]
	chrt := loadChart(t, filepath.Join(downloadModule(t, uc.module, uc.moduleVersion(b, h)), uc.chartDir), h, uc)
	if chrt.Schema == nil {
		t.Fatal("cert-manager's chart has no values.schema.json")
	}
	values := ourValues(t, b)
	values["replicaCount"] = "two"
	if err := chartutil.ValidateAgainstSchema(chrt, values); err == nil || !strings.Contains(err.Error(), "replicaCount") {
		t.Fatalf("want a schema error naming replicaCount, got %v", err)
	}
}
