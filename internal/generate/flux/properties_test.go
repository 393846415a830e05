package flux_test

import (
	"bytes"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/openova-io/openova/internal/generate/flux"
)

// Each cluster's bootstrap bundle fits its share of Hetzner's 32 KiB of
// user-data once compressed, as terraform delivers it.
func TestBundleFitsItsUserDataBudget(t *testing.T) {
	cat := realCatalog(t)
	for name := range examples {
		files := render(t, readExample(t, name), cat)
		perCluster := map[string]map[string][]byte{}
		for p, data := range files {
			rest, ok := strings.CutPrefix(p, flux.BundleDir+"/")
			if !ok {
				continue
			}
			cluster, file, _ := strings.Cut(rest, "/")
			if perCluster[cluster] == nil {
				perCluster[cluster] = map[string][]byte{}
			}
			perCluster[cluster][file] = data
		}
		if len(perCluster) == 0 {
			t.Fatalf("%s: no bootstrap bundle", name)
		}
		for cluster, bundle := range perCluster {
			n := flux.BundleSize(bundle)
			if n > flux.BundleBudget {
				t.Errorf("%s: %s's bundle is %d bytes compressed, over its %d budget", name, cluster, n, flux.BundleBudget)
			}
			t.Logf("%s: %s bundle %d files, %d bytes gzip", name, cluster, len(bundle), n)
		}
	}
}

// Nothing secret is committed: no Secret objects, no SOPS, no literal
// password values anywhere in the Flux tree or the bundle.
func TestNoSecretInTheTree(t *testing.T) {
	cat := realCatalog(t)
	for name := range examples {
		for p, data := range render(t, readExample(t, name), cat) {
			if bytes.Contains(data, []byte("\nkind: Secret\n")) || bytes.Contains(data, []byte("sops:")) {
				t.Errorf("%s: %s holds a Secret or SOPS data", name, p)
			}
		}
	}
}

// Two regions: distinct Cilium cluster IDs, each region meshes with the
// other, k8gb geo tags point at each other, and each region has a
// FailoverGroup naming its peer; the gate is a weight-0 backend of every
// protected route and each Gslb uses serviceHealthPolicy All.
func TestTwoRegionSpecifics(t *testing.T) {
	files := render(t, readExample(t, "two-region"), realCatalog(t))
	ids := map[string]bool{}
	for _, region := range []string{"fsn", "hel"} {
		peer := map[string]string{"fsn": "hel", "hel": "fsn"}[region]
		cilium := docsOf(t, files, "clusters/"+region+"/crds/cilium/release.yaml", "HelmRelease")
		v := cilium["spec"].(map[string]any)["values"].(map[string]any)
		id := v["cluster"].(map[string]any)["id"]
		if ids[strings.TrimSpace(yamlOf(id))] {
			t.Errorf("%s: Cilium cluster id %v reused", region, id)
		}
		ids[strings.TrimSpace(yamlOf(id))] = true
		mesh := yamlOf(v["clustermesh"])
		if !strings.Contains(mesh, "name: bank-"+peer) {
			t.Errorf("%s: Cluster Mesh does not name bank-%s:\n%s", region, peer, mesh)
		}
		k8gb := yamlOf(docsOf(t, files, "clusters/"+region+"/crds/k8gb/release.yaml", "HelmRelease"))
		if !strings.Contains(k8gb, "clusterGeoTag: "+region) || !strings.Contains(k8gb, "extGslbClustersGeoTags: "+peer) {
			t.Errorf("%s: k8gb geo tags wrong", region)
		}
		fg := yamlOf(docsOf(t, files, "clusters/"+region+"/platform/failover-controller/failover-group.yaml", "FailoverGroup"))
		for _, want := range []string{"region: " + region, "peerRegion: " + peer, "gateService: " + flux.GateService, "cnpgSelector:", "failover.openova.io/follow: \"true\""} {
			if !strings.Contains(fg, want) {
				t.Errorf("%s: FailoverGroup lacks %q:\n%s", region, want, fg)
			}
		}
		if ks := string(files["clusters/"+region+"/layers.yaml"]); strings.Count(ks, "- /spec/replica/primary") != strings.Count(ks, "kind: Kustomization") ||
			!strings.Contains(ks, "labelSelector: failover.openova.io/follow=true") {
			t.Errorf("%s: not every Kustomization leaves the failover controller's spec.replica.primary alone:\n%s", region, ks)
		}
		route := yamlOf(docsOf(t, files, "clusters/"+region+"/infrastructure/gitea/route.yaml", "HTTPRoute"))
		if !strings.Contains(route, "name: "+flux.GateService) || !strings.Contains(route, "weight: 0") {
			t.Errorf("%s: gitea's route has no weight-0 gate backend:\n%s", region, route)
		}
		gslb := yamlOf(docsOf(t, files, "clusters/"+region+"/infrastructure/gitea/route.yaml", "Gslb"))
		if !strings.Contains(gslb, "serviceHealthPolicy: All") {
			t.Errorf("%s: Gslb without serviceHealthPolicy All", region)
		}
		valkey := yamlOf(docsOf(t, files, "clusters/"+region+"/products/valkey/release.yaml", "HelmRelease"))
		replicaOf := strings.Contains(valkey, "replicaof valkey-fsn.valkey.svc 6379")
		if replicaOf != (region == "hel") || !strings.Contains(valkey, "openova.io/region: "+region) {
			t.Errorf("%s: only the standby's Valkey replicates the primary region's (replicaof %v):\n%s", region, replicaOf, valkey)
		}
		if svc := yamlOf(docsOf(t, files, "clusters/"+region+"/products/valkey/replication.yaml", "Service")); !strings.Contains(svc, "service.cilium.io/global") {
			t.Errorf("%s: valkey's primary Service is not a Cilium global Service:\n%s", region, svc)
		}
		db := yamlOf(docsOf(t, files, "clusters/"+region+"/infrastructure/gitea/database.yaml", "Cluster"))
		if !strings.Contains(db, "primary: gitea-pg-fsn") || !strings.Contains(db, "self: gitea-pg-"+region) || !strings.Contains(db, "source: gitea-pg-"+peer) ||
			!strings.Contains(db, "failover.openova.io/follow: \"true\"") {
			t.Errorf("%s: gitea's CNPG cluster is not in the fsn-primary topology:\n%s", region, db)
		}
	}
}

func docsOf(t *testing.T, files map[string][]byte, path, kind string) map[string]any {
	t.Helper()
	data, ok := files[path]
	if !ok {
		t.Fatalf("%s not generated", path)
	}
	for _, doc := range bytes.Split(data, []byte("\n---\n")) {
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if m["kind"] == kind {
			return m
		}
	}
	t.Fatalf("%s has no %s", path, kind)
	return nil
}

func yamlOf(v any) string { b, _ := yaml.Marshal(v); return string(b) }
