package render

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var twoRegions = Target{Tenant: "acme", Regions: []string{"fsn", "hel"}, Registry: "ghcr.io/openova-io/mirror",
	ArchivalEndpoint: "https://abc.r2.cloudflarestorage.com", ArchivalBucket: "acme-archive"}

var oneRegion = Target{Tenant: "acme", Regions: []string{"fsn"}, Registry: "harbor.acme.internal/mirror",
	ArchivalEndpoint: "https://s3.eu-central-1.amazonaws.com", ArchivalBucket: "acme-archive"}

func values(over map[string]any) map[string]any {
	v := map[string]any{"tier": "tier-2", "ha": true, "backup": "continuous", "deletionProtection": true,
		"networkProfile": "namespace", "size": "M", "version": "17", "storage": "20Gi"}
	for k, x := range over {
		v[k] = x
	}
	return v
}

var labels = map[string]string{"portal.openova.io/request": "payments.orders-db"}

// cases are the claims whose rendering is pinned in testdata/<name>.yaml.
var cases = map[string]struct {
	target Target
	claim  Claim
}{
	"tier1-two-regions": {twoRegions, Claim{Name: "orders-db", Namespace: "payments", Labels: labels,
		Values: values(map[string]any{"tier": "tier-1", "networkProfile": "peer-region", "size": "L", "storage": "100Gi"})}},
	"tier2-daily-cluster": {oneRegion, Claim{Name: "ledger", Namespace: "risk", Labels: labels,
		Values: values(map[string]any{"backup": "daily", "networkProfile": "cluster", "size": "S", "version": "16"})}},
	"tier3-single-advanced": {twoRegions, Claim{Name: "scratch", Namespace: "risk", Labels: labels,
		Values:   values(map[string]any{"tier": "tier-3", "ha": false, "backup": "none", "deletionProtection": false, "version": "18"}),
		Advanced: map[string]any{"postgresql": map[string]any{"parameters": map[string]any{"max_connections": "200"}}, "storage": map[string]any{"storageClass": "fast"}}}},
}

func TestGolden(t *testing.T) {
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := renderPostgres(tc.target, tc.claim)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, name, res, tc.claim.Namespace, tc.claim.Name)
		})
	}
}

func TestPostgresMapping(t *testing.T) {
	res, err := renderPostgres(twoRegions, cases["tier1-two-regions"].claim)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 2 {
		t.Fatalf("tier-1 with two regions renders into both, got %d", len(res.Objects))
	}
	primary := find(t, res.Objects["fsn"], "Cluster")
	spec := primary["spec"].(map[string]any)
	if spec["instances"] != int64(3) || spec["enablePDB"] != true {
		t.Errorf("ha: instances %v enablePDB %v", spec["instances"], spec["enablePDB"])
	}
	if _, ok := spec["bootstrap"].(map[string]any)["initdb"]; !ok {
		t.Error("the primary region initialises the database")
	}
	replica := find(t, res.Objects["hel"], "Cluster")["spec"].(map[string]any)
	if _, ok := replica["bootstrap"].(map[string]any)["pg_basebackup"]; !ok || replica["replica"].(map[string]any)["primary"] != "orders-db-fsn" {
		t.Errorf("the peer region streams from the primary: %v", replica)
	}
	if primary["metadata"].(map[string]any)["annotations"].(map[string]any)[PruneAnnotation] != "disabled" {
		t.Error("deletionProtection keeps the Cluster when its file leaves Git")
	}
	for _, region := range []string{"fsn", "hel"} {
		l := find(t, res.Objects[region], "Cluster")["metadata"].(map[string]any)["labels"].(map[string]any)
		if l[failoverv1.FollowActiveRegionLabel] != failoverv1.FollowActiveRegionValue || l["portal.openova.io/request"] == nil {
			t.Errorf("%s: a Tier-1 member follows the active region (the FailoverGroup's selector) and keeps the request label: %v", region, l)
		}
	}
	if res.ConnectionSecret != "orders-db-app" {
		t.Errorf("connection secret %s", res.ConnectionSecret)
	}

	single, err := renderPostgres(twoRegions, cases["tier3-single-advanced"].claim)
	if err != nil {
		t.Fatal(err)
	}
	if len(single.Objects) != 1 {
		t.Fatalf("tier-3 stays in the primary region, got %d regions", len(single.Objects))
	}
	for _, o := range single.Objects["fsn"] {
		if k := o["kind"]; k == "ObjectStore" || k == "ScheduledBackup" || k == "ExternalSecret" {
			t.Errorf("backup none renders no %s", k)
		}
	}
	if l, _ := find(t, single.Objects["fsn"], "Cluster")["metadata"].(map[string]any)["labels"].(map[string]any); l[failoverv1.FollowActiveRegionLabel] != nil {
		t.Error("a one-region Cluster has no peer to follow and must not be selected")
	}
	s := find(t, single.Objects["fsn"], "Cluster")["spec"].(map[string]any)
	if s["instances"] != int64(1) || s["enablePDB"] != false {
		t.Errorf("ha false: instances %v enablePDB %v", s["instances"], s["enablePDB"])
	}
	if s["storage"].(map[string]any)["storageClass"] != "fast" || s["storage"].(map[string]any)["size"] != "20Gi" {
		t.Errorf("the Advanced lane merges over the Standard lane map by map: %v", s["storage"])
	}
}

func TestPostgresRefusesBackupWithoutArchival(t *testing.T) {
	tgt := oneRegion
	tgt.ArchivalBucket = ""
	_, err := renderPostgres(tgt, cases["tier2-daily-cluster"].claim)
	if err == nil || !strings.Contains(err.Error(), "spec.archival") {
		t.Fatalf("err = %v", err)
	}
}

func TestCheckPeerRegionNeedsTwoRegions(t *testing.T) {
	v := values(map[string]any{"networkProfile": "peer-region"})
	if errs := checkPostgres(v, 1); len(errs) != 1 || errs[0].Field != "values.networkProfile" {
		t.Fatalf("errs = %v", errs)
	}
	if errs := checkPostgres(v, 0); len(errs) != 0 {
		t.Fatalf("regions unknown: %v", errs)
	}
}

func find(t *testing.T, objs []map[string]any, kind string) map[string]any {
	t.Helper()
	for _, o := range objs {
		if o["kind"] == kind {
			return o
		}
	}
	t.Fatalf("no %s rendered", kind)
	return nil
}

// checkGolden compares a rendering's files (and its connection Secret)
// with testdata/<name>.yaml; -update rewrites it.
func checkGolden(t *testing.T, name string, res *Result, namespace, claim string) {
	t.Helper()
	files, err := res.Files(namespace, claim)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	got.WriteString("# connection secret: " + res.ConnectionSecret + "\n")
	for _, p := range paths {
		got.WriteString("# ==> " + p + "\n")
		got.Write(files[p])
	}
	golden := filepath.Join("testdata", name+".yaml")
	if *update {
		if err := os.WriteFile(golden, got.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/portal/render -run TestGolden -update)", err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Errorf("%s differs from the rendering; inspect with -update and git diff:\n%s", golden, got.String())
	}
}
