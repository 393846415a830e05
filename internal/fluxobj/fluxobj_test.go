package fluxobj

import (
	"io/fs"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/openova-io/openova/internal/catalog"
)

// sample is a tenant whose every placeholder is filled.
var sample = Values{
	Tenant: "acme", Domain: "acme.example", Region: "fsn1", Cluster: "acme-fsn1", PeerRegion: "nbg1",
	Registry: "harbor.acme.example/mirror", ArchivalS3: "https://s3.example", ArchivalBucket: "acme-archive",
	BlueprintGitBase: "https://gitea.acme.example/openova",
}

func fixture(t *testing.T) *catalog.Catalog {
	t.Helper()
	m := fstest.MapFS{}
	for _, src := range []struct {
		fsys fs.FS
		root string
	}{{os.DirFS("../catalog/testdata/catalog"), "."}, {os.DirFS("../.."), "schemas"}} {
		err := fs.WalkDir(src.fsys, src.root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := fs.ReadFile(src.fsys, p)
			m[p] = &fstest.MapFile{Data: data}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	c, err := catalog.Load(m)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func bp(t *testing.T, c *catalog.Catalog, name string) *catalog.Blueprint {
	t.Helper()
	b, ok := c.Blueprint(name)
	if !ok {
		t.Fatalf("no %s", name)
	}
	return b
}

func toYAML(t *testing.T, objs []*unstructured.Unstructured) string {
	t.Helper()
	var b strings.Builder
	for _, o := range objs {
		y, err := yaml.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return b.String()
}

func TestHTTPSChartAndPlaceholders(t *testing.T) {
	c := fixture(t)
	objs, err := HelmReleaseObjects(bp(t, c, "keda"), sample)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 2 || objs[0].GetKind() != "HelmRepository" || objs[1].GetKind() != "HelmRelease" {
		t.Fatalf("want HelmRepository + HelmRelease, got:\n%s", toYAML(t, objs))
	}
	hr := objs[1]
	for path, want := range map[string]any{
		"spec.chart.spec.sourceRef.kind": "HelmRepository",
		"spec.chart.spec.sourceRef.name": "keda",
		"spec.chart.spec.version":        "1.0.0",
		"spec.targetNamespace":           "keda",
		"spec.values.ingress.host":       "keda.acme.example",
		"spec.values.cluster":            "acme-fsn1",
		"spec.values.replicaCount":       int64(2),
	} {
		got, _, _ := unstructured.NestedFieldNoCopy(hr.Object, strings.Split(path, ".")...)
		if got != want {
			t.Errorf("%s: got %#v, want %#v", path, got, want)
		}
	}
	if hr.GetNamespace() != DefaultNamespace || hr.GetLabels()[LabelBlueprint] != "keda" {
		t.Errorf("namespace/labels: %s %v", hr.GetNamespace(), hr.GetLabels())
	}
	// The blueprint's own values are not modified.
	if h := bp(t, c, "keda").Spec.Delivery.Helm[0].Values["cluster"]; h != "<cluster>" {
		t.Errorf("blueprint values mutated: %v", h)
	}
}

func TestOCIAndSeveralCharts(t *testing.T) {
	objs, err := HelmReleaseObjects(bp(t, fixture(t), "grafana"), sample)
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 4 {
		t.Fatalf("two charts: want 4 objects, got %d", len(objs))
	}
	oci, hr := objs[2], objs[3]
	if oci.GetKind() != "OCIRepository" || oci.GetName() != "grafana-loki" {
		t.Fatalf("want OCIRepository grafana-loki, got %s %s", oci.GetKind(), oci.GetName())
	}
	url, _, _ := unstructured.NestedString(oci.Object, "spec", "url")
	tag, _, _ := unstructured.NestedString(oci.Object, "spec", "ref", "tag")
	ref, _, _ := unstructured.NestedString(hr.Object, "spec", "chartRef", "name")
	if url != "oci://registry.example.org/charts/loki" || tag != "6.1.0" || ref != "grafana-loki" {
		t.Errorf("oci source: url %s tag %s chartRef %s", url, tag, ref)
	}
}

func TestLocalChartNeedsGitBase(t *testing.T) {
	b := bp(t, fixture(t), "failover-controller")
	objs, err := HelmReleaseObjects(b, sample)
	if err != nil {
		t.Fatal(err)
	}
	url, _, _ := unstructured.NestedString(objs[0].Object, "spec", "url")
	chart, _, _ := unstructured.NestedString(objs[1].Object, "spec", "chart", "spec", "chart")
	if objs[0].GetKind() != "GitRepository" || url != "https://gitea.acme.example/openova/failover-controller.git" || chart != "./chart" {
		t.Errorf("git source: %s %s %s", objs[0].GetKind(), url, chart)
	}
	v := sample
	v.BlueprintGitBase = ""
	if _, err := HelmReleaseObjects(b, v); err == nil || !strings.Contains(err.Error(), "BlueprintGitBase") {
		t.Errorf("want an error naming BlueprintGitBase, got %v", err)
	}
}

func TestEmptyPlaceholderIsAnError(t *testing.T) {
	v := sample
	v.Domain = ""
	_, err := HelmReleaseObjects(bp(t, fixture(t), "keda"), v)
	if err == nil || !strings.Contains(err.Error(), "spec.delivery.helm[0].values.ingress.host uses <domain>") {
		t.Fatalf("got %v", err)
	}
	v = sample
	v.PeerRegion = "" // one region: allowed
	if _, err := HelmReleaseObjects(bp(t, fixture(t), "failover-controller"), v); err != nil {
		t.Fatalf("empty peer region: %v", err)
	}
}

func TestNoHelmNoObjects(t *testing.T) {
	objs, err := HelmReleaseObjects(bp(t, fixture(t), "opentofu"), sample)
	if err != nil || len(objs) != 0 {
		t.Fatalf("tool blueprint: got %d objects, %v", len(objs), err)
	}
}

func TestDeterministic(t *testing.T) {
	c := fixture(t)
	a, _ := HelmReleaseObjects(bp(t, c, "grafana"), sample)
	for i := 0; i < 10; i++ {
		b, _ := HelmReleaseObjects(bp(t, c, "grafana"), sample)
		if toYAML(t, a) != toYAML(t, b) {
			t.Fatal("output differs between runs")
		}
	}
}
