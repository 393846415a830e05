package render

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/catalog/catalogtest"
	"github.com/openova-io/openova/internal/generate/flux"
)

func valkeyValues(over map[string]any) map[string]any {
	v := map[string]any{"tier": "tier-2", "ha": true, "backup": "rdb", "deletionProtection": false,
		"networkProfile": "namespace", "size": "S", "evictionPolicy": "noeviction"}
	for k, x := range over {
		v[k] = x
	}
	return v
}

// valkeyCases are the claims whose rendering is pinned in
// testdata/<name>.yaml (blueprint filled in by valkeyClaim).
var valkeyCases = map[string]struct {
	target Target
	claim  Claim
}{
	"valkey-tier1-two-regions": {twoRegions, Claim{Name: "sessions", Namespace: "payments", Labels: labels,
		Values: valkeyValues(map[string]any{"tier": "tier-1", "size": "M", "deletionProtection": true})}},
	"valkey-cache-single-advanced": {Target{Tenant: "acme", Regions: []string{"fsn"}, Registry: "harbor.acme.internal/mirror",
		ChartMirror: "oci://harbor.acme.internal/charts"}, Claim{Name: "page-cache", Namespace: "risk", Labels: labels,
		Values:   valkeyValues(map[string]any{"ha": false, "backup": "none", "networkProfile": "cluster", "evictionPolicy": "allkeys-lru"}),
		Advanced: map[string]any{"tls": map[string]any{"enabled": true}}}},
}

func valkeyClaim(t *testing.T, c Claim) Claim {
	t.Helper()
	b, ok := catalogtest.Embedded(t).Blueprint("valkey")
	if !ok {
		t.Fatal("no valkey blueprint in the catalog")
	}
	c.Blueprint = b
	return c
}

func TestGoldenValkey(t *testing.T) {
	for name, tc := range valkeyCases {
		t.Run(name, func(t *testing.T) {
			res, err := renderValkey(tc.target, valkeyClaim(t, tc.claim))
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, name, res, tc.claim.Namespace, tc.claim.Name)
		})
	}
}

func hrValues(t *testing.T, objs []map[string]any) map[string]any {
	t.Helper()
	return find(t, objs, "HelmRelease")["spec"].(map[string]any)["values"].(map[string]any)
}

func TestValkeyMapping(t *testing.T) {
	tc := valkeyCases["valkey-tier1-two-regions"]
	res, err := renderValkey(tc.target, valkeyClaim(t, tc.claim))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 2 || res.ConnectionSecret != "sessions-valkey-users" || res.SecretField != "" ||
		res.Ready != (ObjectRef{"helm.toolkit.fluxcd.io/v2", "HelmRelease", "payments", "sessions"}) {
		t.Fatalf("regions %d, secret %q, field %q, ready %+v", len(res.Objects), res.ConnectionSecret, res.SecretField, res.Ready)
	}
	hr := find(t, res.Objects["fsn"], "HelmRelease")
	spec := hr["spec"].(map[string]any)
	if spec["releaseName"] != "sessions" || spec["targetNamespace"] != "payments" || hr["metadata"].(map[string]any)["namespace"] != "payments" {
		t.Errorf("release %v into %v, object in %v", spec["releaseName"], spec["targetNamespace"], hr["metadata"])
	}
	chart := spec["chart"].(map[string]any)["spec"].(map[string]any)
	src := find(t, res.Objects["fsn"], "HelmRepository")
	if chart["chart"] != "valkey" || chart["version"] != "0.11.0" || chart["sourceRef"].(map[string]any)["name"] != "sessions" ||
		src["spec"].(map[string]any)["url"] != "https://valkey.io/valkey-helm/" {
		t.Errorf("the platform's chart and source: %v, %v", chart, src["spec"])
	}
	if hr["metadata"].(map[string]any)["annotations"].(map[string]any)[PruneAnnotation] != "disabled" {
		t.Error("deletionProtection keeps the release when its file leaves Git")
	}
	v := hrValues(t, res.Objects["fsn"])
	if v["auth"].(map[string]any)["usersExistingSecret"] != "sessions-valkey-users" || v["global"].(map[string]any)["imageRegistry"] != "ghcr.io/openova-io/mirror" {
		t.Errorf("auth %v global %v", v["auth"], v["global"])
	}
	if r := v["resources"].(map[string]any); r["limits"].(map[string]any)["memory"] != "1Gi" {
		t.Errorf("size M: resources %v", r)
	}
	primaryConf, replicaConf := v["valkeyConfig"].(string), hrValues(t, res.Objects["hel"])["valkeyConfig"].(string)
	if !strings.Contains(primaryConf, "maxmemory 858993459\n") || !strings.Contains(primaryConf, "maxmemory-policy noeviction\n") || strings.Contains(primaryConf, "replicaof") {
		t.Errorf("primary valkeyConfig:\n%s", primaryConf)
	}
	if !strings.Contains(replicaConf, "replicaof sessions-fsn.payments.svc 6379\n") || !strings.Contains(replicaConf, "primaryuser replication\n") {
		t.Errorf("peer valkeyConfig:\n%s", replicaConf)
	}
	if find(t, res.Objects["fsn"], "PushSecret") == nil || find(t, res.Objects["hel"], "ExternalSecret")["spec"].(map[string]any)["secretStoreRef"].(map[string]any)["name"] != "openbao-hel" {
		t.Error("the peer reads the primary's users from its own OpenBao")
	}
	for _, o := range res.Objects["hel"] {
		if o["kind"] == "Password" {
			t.Error("the peer region must not generate other passwords")
		}
	}
	svc := find(t, res.Objects["hel"], "Service")
	if sel := svc["spec"].(map[string]any)["selector"].(map[string]any); sel["statefulset.kubernetes.io/pod-name"] != "sessions-valkey-0" || sel[regionLabel] != "fsn" {
		t.Errorf("global Service selector %v", sel)
	}

	one := valkeyCases["valkey-cache-single-advanced"]
	single, err := renderValkey(one.target, valkeyClaim(t, one.claim))
	if err != nil {
		t.Fatal(err)
	}
	sv := hrValues(t, single.Objects["fsn"])
	if sv["replica"].(map[string]any)["enabled"] != false || sv["dataStorage"].(map[string]any)["enabled"] != false ||
		sv["tls"].(map[string]any)["enabled"] != true || !strings.Contains(sv["valkeyConfig"].(string), `save ""`) {
		t.Errorf("ha false, backup none, Advanced tls: %v", sv)
	}
	hs := find(t, single.Objects["fsn"], "HelmRelease")["spec"].(map[string]any)
	if ref := hs["chartRef"].(map[string]any); ref["kind"] != "OCIRepository" || ref["name"] != "page-cache" {
		t.Errorf("air-gapped chart mirror: chartRef %v", ref)
	}
}

// In each region of a Tier-1 claim exactly the local primary's Service is
// what the FailoverGroup's valkeySelector matches, naming its peer's
// Service and the users Secret, and the failover controller may get that
// Secret by name and nothing else; a one-region claim has neither.
func TestValkeyFollowsTheActiveRegion(t *testing.T) {
	tc := valkeyCases["valkey-tier1-two-regions"]
	res, err := renderValkey(tc.target, valkeyClaim(t, tc.claim))
	if err != nil {
		t.Fatal(err)
	}
	for region, peer := range map[string]string{"fsn": "hel", "hel": "fsn"} {
		var followed []string
		for _, o := range res.Objects[region] {
			md := o["metadata"].(map[string]any)
			if l, _ := md["labels"].(map[string]any); o["kind"] == "Service" && l[failoverv1.FollowActiveRegionLabel] == failoverv1.FollowActiveRegionValue {
				followed = append(followed, md["name"].(string))
				ann := md["annotations"].(map[string]any)
				if ann[failoverv1.ValkeyPeerServiceAnnotation] != "sessions-"+peer || ann[failoverv1.ValkeySecretAnnotation] != "sessions-valkey-users" {
					t.Errorf("%s: %s annotations %v", region, md["name"], ann)
				}
			}
		}
		if len(followed) != 1 || followed[0] != "sessions-"+region {
			t.Errorf("%s: Services labelled to follow: %v, want [sessions-%s]", region, followed, region)
		}
		rules := find(t, res.Objects[region], "Role")["rules"].([]any)
		want := map[string]any{"apiGroups": []any{""}, "resources": []any{"secrets"}, "resourceNames": []any{"sessions-valkey-users"}, "verbs": []any{"get"}}
		if len(rules) != 1 || !reflect.DeepEqual(rules[0], want) {
			t.Errorf("%s: Role rules %v, want get on the users Secret only", region, rules)
		}
		subj := find(t, res.Objects[region], "RoleBinding")["subjects"].([]any)[0].(map[string]any)
		if subj["name"] != flux.FailoverServiceAccount || subj["namespace"] != flux.FailoverNamespace {
			t.Errorf("%s: RoleBinding subject %v", region, subj)
		}
	}
	one := valkeyCases["valkey-cache-single-advanced"]
	single, err := renderValkey(one.target, valkeyClaim(t, one.claim))
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range single.Objects["fsn"] {
		if o["kind"] == "Service" || o["kind"] == "Role" || o["kind"] == "RoleBinding" {
			t.Errorf("a one-region claim renders a %s", o["kind"])
		}
	}
}

func TestCheckValkey(t *testing.T) {
	errs := checkValkey(valkeyValues(map[string]any{"tier": "tier-1", "ha": false}), 2)
	if len(errs) != 1 || errs[0].Field != "values.ha" || !strings.Contains(errs[0].Detail, "set ha: true or choose tier-2") {
		t.Fatalf("errs = %v", errs)
	}
	if errs := checkValkey(valkeyValues(map[string]any{"tier": "tier-1"}), 2); len(errs) != 0 {
		t.Fatalf("tier-1 with ha: %v", errs)
	}
}

// Every object the Valkey claims render is accepted by a real
// kube-apiserver with the Flux, External Secrets and core schemas.
func TestValkeyObjectsAreAccepted(t *testing.T) {
	ctx := context.Background()
	checked := map[string]int{}
	for name, tc := range valkeyCases {
		res, err := renderValkey(tc.target, valkeyClaim(t, tc.claim))
		if err != nil {
			t.Fatal(err)
		}
		if err := env.EnsureNamespace(ctx, tc.claim.Namespace); err != nil {
			t.Fatal(err)
		}
		for region, objs := range res.Objects {
			for _, o := range objs {
				u := &unstructured.Unstructured{Object: o}
				if err := env.ServerSideDryRun(ctx, u); err != nil {
					t.Errorf("%s/%s: %v", name, region, err)
				}
				checked[u.GetKind()]++
			}
		}
	}
	for _, k := range []string{"HelmRelease", "HelmRepository", "OCIRepository", "Password", "ExternalSecret", "PushSecret", "Service", "NetworkPolicy", "Role", "RoleBinding"} {
		if checked[k] == 0 {
			t.Errorf("no %s was dry-run", k)
		}
	}
	t.Logf("dry-run accepted: %v", checked)
}
