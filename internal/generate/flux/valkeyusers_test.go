package flux_test

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/generate/flux"
)

// clusterObjects are the objects rendered for one region's cluster.
type clusterObjects []map[string]any

func objectsOf(t *testing.T, files map[string][]byte, region string) clusterObjects {
	t.Helper()
	var out clusterObjects
	for p, data := range files {
		if strings.HasPrefix(p, "clusters/"+region+"/") && strings.HasSuffix(p, ".yaml") {
			out = append(out, docs(t, data)...)
		}
	}
	return out
}

func str(o map[string]any, path ...string) string {
	var cur any = o
	for _, k := range path {
		m, _ := cur.(map[string]any)
		cur = m[k]
	}
	s, _ := cur.(string)
	return s
}

func (c clusterObjects) all(kind, ns string) []map[string]any {
	var out []map[string]any
	for _, o := range c {
		if o["kind"] == kind && str(o, "metadata", "namespace") == ns {
			out = append(out, o)
		}
	}
	return out
}

func (c clusterObjects) get(t *testing.T, kind, ns, name string) map[string]any {
	t.Helper()
	for _, o := range c.all(kind, ns) {
		if str(o, "metadata", "name") == name {
			return o
		}
	}
	t.Fatalf("no %s %s/%s rendered", kind, ns, name)
	return nil
}

// secretFrom is the ExternalSecret in ns whose target is secret, and
// the keys it writes.
func (c clusterObjects) secretFrom(t *testing.T, ns, secret string) (map[string]any, []string) {
	t.Helper()
	for _, es := range c.all("ExternalSecret", ns) {
		if str(es, "spec", "target", "name") != secret {
			continue
		}
		var keys []string
		spec := es["spec"].(map[string]any)
		for _, d := range asList(spec["data"]) {
			keys = append(keys, d.(map[string]any)["secretKey"].(string))
		}
		for _, d := range asList(spec["dataFrom"]) {
			for _, rw := range asList(d.(map[string]any)["rewrite"]) {
				keys = append(keys, str(rw.(map[string]any), "regexp", "target"))
			}
		}
		sort.Strings(keys)
		return es, keys
	}
	t.Fatalf("no ExternalSecret in %s creates Secret %s", ns, secret)
	return nil, nil
}

func asList(v any) []any { l, _ := v.([]any); return l }

// valkeyRelease is the platform Valkey's HelmRelease, its namespace and
// the users Secret it mounts.
func valkeyRelease(t *testing.T, c clusterObjects) (ns, secret string, values map[string]any) {
	t.Helper()
	hr := c.get(t, "HelmRelease", "flux-system", "valkey")
	values = hr["spec"].(map[string]any)["values"].(map[string]any)
	return str(hr, "spec", "targetNamespace"), str(values, "auth", "usersExistingSecret"), values
}

// Two regions: the primary generates the passwords and pushes them to
// both OpenBaos; the standby reads them back from its own; each region's
// HelmRelease mounts a Secret its cluster creates; the FailoverGroup
// selects the local primary's Service, whose annotations name a rendered
// peer Service and the users Secret, which the failover controller may
// read, and only it.
func TestPlatformValkeyUsersTwoRegions(t *testing.T) {
	files := render(t, readExample(t, "two-region"), realCatalog(t))
	regions := map[string]string{"fsn": "hel", "hel": "fsn"}
	pushedTo := map[string]string{} // store -> OpenBao address, as the primary reaches it
	var pushKey string
	for _, region := range []string{"fsn", "hel"} {
		c := objectsOf(t, files, region)
		ns, secret, values := valkeyRelease(t, c)
		if ns != "valkey" || secret != "bank-valkey-users" {
			t.Fatalf("%s: HelmRelease installs into %q and mounts %q", region, ns, secret)
		}
		es, keys := c.secretFrom(t, ns, secret)
		if want := []string{failoverv1.ValkeySecretKey, str(values, "replica", "replicationUser")}; !reflect.DeepEqual(keys, want) {
			t.Errorf("%s: users Secret keys %v, want one per ACL user %v", region, keys, want)
		}
		gens := c.all("Password", ns)
		push := c.all("PushSecret", ns)
		if region == "fsn" {
			if len(gens) != 2 || len(push) != 1 {
				t.Fatalf("primary: %d Password generators and %d PushSecrets, want 2 and 1", len(gens), len(push))
			}
			for _, d := range asList(es["spec"].(map[string]any)["dataFrom"]) {
				name := str(d.(map[string]any), "sourceRef", "generatorRef", "name")
				c.get(t, "Password", ns, name)
			}
			if str(es["spec"].(map[string]any), "refreshInterval") != "0" {
				t.Errorf("primary: the users are regenerated (refreshInterval %v), want once", es["spec"].(map[string]any)["refreshInterval"])
			}
			ps := push[0]["spec"].(map[string]any)
			if str(ps, "selector", "secret", "name") != secret {
				t.Errorf("primary: PushSecret selects %v", ps["selector"])
			}
			pushKey = str(asList(ps["data"])[0].(map[string]any), "match", "remoteRef", "remoteKey")
			var stores []string
			for _, s := range asList(ps["secretStoreRefs"]) {
				name := s.(map[string]any)["name"].(string)
				stores = append(stores, name)
				pushedTo[name] = str(c.get(t, "ClusterSecretStore", "", name), "spec", "provider", "vault", "server")
			}
			if want := []string{flux.SecretStoreName("fsn"), flux.SecretStoreName("hel")}; !reflect.DeepEqual(stores, want) {
				t.Errorf("primary pushes to %v, want %v", stores, want)
			}
		} else {
			if len(gens) != 0 || len(push) != 0 {
				t.Errorf("standby generates (%d Password) or pushes (%d PushSecret): its passwords would differ", len(gens), len(push))
			}
			spec := es["spec"].(map[string]any)
			store := str(spec, "secretStoreRef", "name")
			server := str(c.get(t, "ClusterSecretStore", "", store), "spec", "provider", "vault", "server")
			if pushedTo[store] == "" || pushedTo[store] != server {
				t.Errorf("standby reads from store %s (%s); the primary pushed to %v", store, server, pushedTo)
			}
			for _, d := range asList(spec["data"]) {
				if k := str(d.(map[string]any), "remoteRef", "key"); k != pushKey {
					t.Errorf("standby reads key %q, the primary pushed %q", k, pushKey)
				}
			}
			if !strings.Contains(str(values, "valkeyConfig"), "primaryuser "+str(values, "replica", "replicationUser")) {
				t.Errorf("standby's valkeyConfig %q does not sign in as the replication user", str(values, "valkeyConfig"))
			}
		}

		// The FailoverGroup selects exactly this region's primary Service.
		fg := c.get(t, "FailoverGroup", flux.FailoverNamespace, "bank")
		ls := fg["spec"].(map[string]any)["layers"].(map[string]any)["stateful"].(map[string]any)["valkeySelector"].(map[string]any)
		ml := map[string]string{}
		for k, v := range ls["matchLabels"].(map[string]any) {
			ml[k] = v.(string)
		}
		sel, err := metav1.LabelSelectorAsSelector(&metav1.LabelSelector{MatchLabels: ml})
		if err != nil {
			t.Fatal(err)
		}
		var selected []map[string]any
		for _, s := range c.all("Service", ns) {
			l := map[string]string{}
			sl, _ := s["metadata"].(map[string]any)["labels"].(map[string]any)
			for k, v := range sl {
				l[k] = v.(string)
			}
			if sel.Matches(labels.Set(l)) {
				selected = append(selected, s)
			}
		}
		if len(selected) != 1 || str(selected[0], "metadata", "name") != "valkey-"+region {
			t.Fatalf("%s: valkeySelector selects %d Services in %s, want valkey-%s", region, len(selected), ns, region)
		}
		ann := selected[0]["metadata"].(map[string]any)["annotations"].(map[string]any)
		peerSvc := c.get(t, "Service", ns, ann[failoverv1.ValkeyPeerServiceAnnotation].(string))
		if got := str(peerSvc, "spec", "selector", "openova.io/region"); got != regions[region] {
			t.Errorf("%s: peer Service %s selects region %q, want %q", region, str(peerSvc, "metadata", "name"), got, regions[region])
		}
		if ann[failoverv1.ValkeySecretAnnotation] != secret {
			t.Errorf("%s: Service names Secret %v, the HelmRelease mounts %s", region, ann[failoverv1.ValkeySecretAnnotation], secret)
		}

		// The Role grants get on exactly that Secret, bound to the controller.
		roles := c.all("Role", ns)
		if len(roles) != 1 {
			t.Fatalf("%s: %d Roles in %s, want 1", region, len(roles), ns)
		}
		wantRules := []any{map[string]any{"apiGroups": []any{""}, "resources": []any{"secrets"}, "resourceNames": []any{secret}, "verbs": []any{"get"}}}
		if !reflect.DeepEqual(roles[0]["rules"], wantRules) {
			t.Errorf("%s: Role rules %v, want %v", region, roles[0]["rules"], wantRules)
		}
		bind := c.get(t, "RoleBinding", ns, str(roles[0], "metadata", "name"))
		subj := asList(bind["subjects"])
		if str(bind, "roleRef", "name") != str(roles[0], "metadata", "name") || len(subj) != 1 ||
			str(subj[0].(map[string]any), "name") != flux.FailoverServiceAccount ||
			str(subj[0].(map[string]any), "namespace") != flux.FailoverNamespace {
			t.Errorf("%s: RoleBinding %v %v, want the Role for %s/%s", region, bind["roleRef"], subj, flux.FailoverNamespace, flux.FailoverServiceAccount)
		}
	}
}

// One region: the Secret is generated locally and, as every generated
// credential, pushed to the region's OpenBao; nothing follows a region.
func TestPlatformValkeyUsersOneRegion(t *testing.T) {
	spec := string(readExample(t, "one-region")) + "  components:\n    - valkey\n"
	files := render(t, []byte(spec), realCatalog(t))
	c := objectsOf(t, files, "fsn")
	ns, secret, _ := valkeyRelease(t, c)
	es, keys := c.secretFrom(t, ns, secret)
	if want := []string{"default", "replication"}; !reflect.DeepEqual(keys, want) {
		t.Errorf("users Secret keys %v, want %v", keys, want)
	}
	if len(asList(es["spec"].(map[string]any)["dataFrom"])) != 2 || len(c.all("Password", ns)) != 2 {
		t.Errorf("the users are not generated locally: %v", es["spec"])
	}
	push := c.all("PushSecret", ns)
	if len(push) != 1 || len(asList(push[0]["spec"].(map[string]any)["secretStoreRefs"])) != 1 {
		t.Errorf("want one PushSecret to the region's own OpenBao, got %v", push)
	}
	if n := len(c.all("Role", ns)); n != 0 {
		t.Errorf("%d Roles: no failover controller reads a one-region Valkey", n)
	}
	for _, o := range c {
		md, _ := o["metadata"].(map[string]any)
		if l, _ := md["labels"].(map[string]any); l[failoverv1.FollowActiveRegionLabel] != nil {
			t.Errorf("%s %s follows a region in a one-region instance", o["kind"], str(o, "metadata", "name"))
		}
	}
}
