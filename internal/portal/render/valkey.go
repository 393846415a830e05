package render

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/openova-io/openova/internal/fluxobj"
	"github.com/openova-io/openova/internal/generate/flux"
	"github.com/openova-io/openova/internal/instance"
)

// A ValkeyClaim becomes a Flux HelmRelease of the valkey blueprint's own
// chart and source (the same as the platform's Valkey, mirrored when
// air-gapped), in the team's namespace, with values in the keys the
// blueprint's values use (chart 0.11.0). The chart cannot be fetched in
// this repository's tests (no network), so what the chart makes of these
// values is not rendered here: the objects are dry-run against the Flux,
// External Secrets and core schemas, and the values are pinned by goldens.

const (
	valkeyPort = 6379
	// valkeyMetricsPort is the chart's exporter (metrics.enabled).
	valkeyMetricsPort = 9121
	// regionLabel is on each region's pods (podLabels), so that a Cilium
	// global Service can select one region's primary.
	regionLabel = "openova.io/region"
)

// valkeySizes: memory per instance in MiB (the schema's words), the CPU
// request, and the volume: an RDB snapshot is at most the dataset
// (maxmemory), and a rewrite writes the next beside the last, so four
// times the memory leaves headroom.
var valkeySizes = map[string]struct {
	mib  int64
	cpu  string
	disk string
}{"S": {256, "100m", "1Gi"}, "M": {1024, "250m", "4Gi"}, "L": {4096, "500m", "16Gi"}, "XL": {16384, "1", "64Gi"}}

// valkey is a ValkeyClaim's values, defaults applied.
type valkey struct {
	tier, backup, networkProfile, size, eviction string
	ha, deletionProtection                       bool
}

func valkeyOf(v map[string]any) valkey {
	s := func(k string) string { x, _ := v[k].(string); return x }
	b := func(k string) bool { x, _ := v[k].(bool); return x }
	return valkey{tier: s("tier"), backup: s("backup"), networkProfile: s("networkProfile"), size: s("size"),
		eviction: s("evictionPolicy"), ha: b("ha"), deletionProtection: b("deletionProtection")}
}

func checkValkey(v map[string]any, _ int) field.ErrorList {
	k := valkeyOf(v)
	if k.tier == "tier-1" && !k.ha {
		return field.ErrorList{field.Invalid(field.NewPath("values", "ha"), false,
			"tier-1 replicates to the peer region from the primary pod of a replicated StatefulSet; set ha: true or choose tier-2")}
	}
	return nil
}

// regions: tier-1 adds a REPLICAOF replica in the peer region.
func (k valkey) regions(t Target) []string {
	if k.tier == "tier-1" && len(t.Regions) > 1 {
		return t.Regions[:2]
	}
	return t.Regions[:1]
}

// valkeyFullname is the chart's name for the release's objects (Helm's
// convention: the release name when it contains the chart's, else
// <release>-valkey); its pod 0 is the primary.
func valkeyFullname(release string) string {
	if strings.Contains(release, "valkey") {
		return release
	}
	return release + "-valkey"
}

func renderValkey(t Target, c Claim) (*Result, error) {
	if len(t.Regions) == 0 {
		return nil, fmt.Errorf("instance has no region; instance.yaml spec.regions lists at least one")
	}
	if c.Blueprint == nil || len(c.Blueprint.Spec.Delivery.Helm) != 1 {
		return nil, fmt.Errorf("ValkeyClaim is delivered by the valkey blueprint's one chart; the catalog's valkey blueprint has none (run catalyst catalog lint)")
	}
	k := valkeyOf(c.Values)
	if _, ok := valkeySizes[k.size]; !ok {
		return nil, fmt.Errorf("values.size %q: want S, M, L or XL", k.size)
	}
	regions := k.regions(t)
	secret := c.Name + "-valkey-users"
	res := &Result{Regions: regions, Objects: map[string][]map[string]any{}, ConnectionSecret: secret,
		Ready: ObjectRef{fluxobj.HelmAPIVersion, "HelmRelease", c.Namespace, c.Name}}
	for i, region := range regions {
		src, hr, err := k.release(t, c, regions, region, secret)
		if err != nil {
			return nil, err
		}
		objs := []map[string]any{src}
		// The passwords are made in the cluster, never in Git or the
		// portal; with a peer, both regions' OpenBao keep them so the
		// peer signs in with the same ones (its replica authenticates to
		// the primary, and clients keep theirs after a failover).
		users := valkeyUsers(t, c, regions[0], secret)
		if i == 0 {
			var stores []string
			if len(regions) > 1 {
				for _, r := range regions {
					stores = append(stores, flux.SecretStoreName(r))
				}
			}
			objs = append(objs, users.Generated(stores)...)
		} else {
			objs = append(objs, users.ReadBack(flux.SecretStoreName(region)))
		}
		objs = append(objs, hr)
		if len(regions) > 1 {
			objs = append(objs, valkeyServices(c, regions, region, users)...)
			// The failover controller reads the users Secret by name, and
			// no other Secret of the team's namespace.
			objs = append(objs, users.FailoverAccess(c.Name+"-valkey-failover")...)
		}
		objs = append(objs, k.networkPolicy(t, c, regions, region))
		res.Objects[region] = objs
	}
	return res, nil
}

// release is the chart's source and HelmRelease as the generator builds
// the platform's (fluxobj), renamed for the claim and installed into its
// namespace, with the claim's values and the Advanced lane merged last.
func (k valkey) release(t Target, c Claim, regions []string, region, secret string) (src, hr map[string]any, err error) {
	v := fluxobj.Values{Tenant: t.Tenant, Region: region, Cluster: t.Cluster(region), Registry: t.Registry,
		ArchivalS3: t.ArchivalEndpoint, ArchivalBucket: t.ArchivalBucket, Namespace: c.Namespace}
	us, err := fluxobj.HelmReleaseObjects(flux.MirroredCharts(c.Blueprint, t.ChartMirror), v)
	if err != nil {
		return nil, nil, err
	}
	src, hr = us[0].Object, us[1].Object
	for _, o := range []map[string]any{src, hr} {
		o["metadata"].(map[string]any)["name"] = c.Name
		withLabels(o, c.Labels)
	}
	spec := hr["spec"].(map[string]any)
	spec["releaseName"], spec["targetNamespace"], spec["storageNamespace"] = c.Name, c.Namespace, c.Namespace
	// The namespace is the team's, made by the platform admin with its quota.
	spec["install"].(map[string]any)["createNamespace"] = false
	if ref, ok := spec["chartRef"].(map[string]any); ok {
		ref["name"] = c.Name
	} else {
		spec["chart"].(map[string]any)["spec"].(map[string]any)["sourceRef"].(map[string]any)["name"] = c.Name
	}
	values, _ := spec["values"].(map[string]any)
	if values == nil {
		values = map[string]any{}
	}
	k.shape(values, c, regions, region, secret)
	if len(c.Advanced) > 0 {
		values = instance.MergeValues(values, c.Advanced)
	}
	spec["values"] = values
	if k.deletionProtection {
		hr["metadata"].(map[string]any)["annotations"] = map[string]any{PruneAnnotation: "disabled"}
	}
	return src, hr, nil
}

// shape maps the claim onto the blueprint's values (in place).
func (k valkey) shape(v map[string]any, c Claim, regions []string, region, secret string) {
	size := valkeySizes[k.size]
	mem := fmt.Sprintf("%dMi", size.mib)
	if size.mib%1024 == 0 {
		mem = fmt.Sprintf("%dGi", size.mib/1024)
	}
	auth, _ := v["auth"].(map[string]any)
	if auth == nil {
		auth = map[string]any{"enabled": true}
		v["auth"] = auth
	}
	auth["usersExistingSecret"] = secret
	v["podLabels"] = map[string]any{regionLabel: region}
	v["resources"] = map[string]any{"requests": map[string]any{"cpu": size.cpu, "memory": mem}, "limits": map[string]any{"memory": mem}}
	replica, _ := v["replica"].(map[string]any)
	if !k.ha {
		// One instance: nothing to keep available, and no drain blocked.
		v["replica"] = map[string]any{"enabled": false}
		v["podDisruptionBudget"] = map[string]any{"enabled": false}
		replica = nil
	}
	conf := []string{
		// maxmemory at 80% of the limit leaves room for the replication
		// buffers and copy-on-write of a snapshot before the OOM killer.
		fmt.Sprintf("maxmemory %d", size.mib*1024*1024*8/10),
		"maxmemory-policy " + k.eviction,
	}
	if k.backup == "rdb" {
		storage := map[string]any{"enabled": true, "requestedSize": size.disk}
		if k.deletionProtection {
			storage["keepPvc"] = true
		}
		v["dataStorage"] = storage
		if replica != nil {
			replica["persistence"] = map[string]any{"size": size.disk}
		}
	} else {
		// A pure cache: no volume, no snapshot, no append-only file.
		v["dataStorage"] = map[string]any{"enabled": false}
		if replica != nil {
			delete(replica, "persistence")
		}
		conf = append(conf, `save ""`, "appendonly no")
	}
	cfg := strings.Join(conf, "\n") + "\n"
	if len(regions) > 1 && region != regions[0] {
		cfg += flux.ValkeyReplicaConfig(fmt.Sprintf("%s.%s.svc", valkeyMember(c, regions[0]), c.Namespace))
	}
	v["valkeyConfig"] = cfg
}

// valkeyMember is the Cilium global Service of a region's primary.
func valkeyMember(c Claim, region string) string { return c.Name + "-" + region }

// valkeyServices name each region's primary <name>-<region> in both
// clusters; as Cilium global Services they reach the peer's pod, as the
// platform's valkey-<region> do. In each cluster the local region's one
// is what the FailoverGroup's valkeySelector matches: labelled to follow
// the active region, naming its peer's Service and the users Secret.
func valkeyServices(c Claim, regions []string, region string, users flux.ValkeyUsers) []map[string]any {
	var out []map[string]any
	for _, m := range regions {
		s := newObj("v1", "Service", valkeyMember(c, m), c.Namespace, c.Labels)
		s["metadata"].(map[string]any)["annotations"] = map[string]any{"service.cilium.io/global": "true", "service.cilium.io/shared": "true"}
		if m == region {
			for _, peer := range regions {
				if peer != region {
					users.FollowActiveRegion(s, valkeyMember(c, peer))
				}
			}
		}
		s["spec"] = map[string]any{
			"selector": map[string]any{
				"app.kubernetes.io/name": "valkey", "app.kubernetes.io/instance": c.Name,
				"statefulset.kubernetes.io/pod-name": valkeyFullname(c.Name) + "-0", regionLabel: m,
			},
			"ports": []any{map[string]any{"name": "tcp", "port": int64(valkeyPort), "targetPort": int64(valkeyPort)}},
		}
		out = append(out, s)
	}
	return out
}

// valkeyUsers is the claim's users Secret, generated in the first region
// and kept in OpenBao under that region's cluster, as the generator keeps
// the platform's (flux.ValkeyUsers).
func valkeyUsers(t Target, c Claim, primary, secret string) flux.ValkeyUsers {
	return flux.ValkeyUsers{Namespace: c.Namespace, Secret: secret, GeneratorPrefix: c.Name + "-valkey-",
		Key: flux.CredentialKey(t.Cluster(primary), c.Namespace, secret), Labels: c.Labels}
}

// networkPolicy admits the metrics scraper, the release's own pods (in
// both clusters when the peer replicates) and the clients of the network
// profile, and nothing else.
func (k valkey) networkPolicy(t Target, c Claim, regions []string, region string) map[string]any {
	o := newObj("networking.k8s.io/v1", "NetworkPolicy", c.Name+"-valkey", c.Namespace, c.Labels)
	own := map[string]any{"app.kubernetes.io/name": "valkey", "app.kubernetes.io/instance": c.Name}
	pods := func(cluster string, extra map[string]any) map[string]any {
		l := map[string]any{ciliumCluster: cluster}
		for key, val := range extra {
			l[key] = val
		}
		return map[string]any{"podSelector": map[string]any{"matchLabels": l}}
	}
	port := func(n int64) []any { return []any{map[string]any{"protocol": "TCP", "port": n}} }
	var peers []any
	for _, r := range regions {
		peers = append(peers, pods(t.Cluster(r), own))
	}
	client := pods(t.Cluster(region), nil)
	if k.networkProfile == "cluster" {
		client["namespaceSelector"] = map[string]any{}
	}
	o["spec"] = map[string]any{
		"podSelector": map[string]any{"matchLabels": own},
		"policyTypes": []any{"Ingress"},
		"ingress": []any{
			map[string]any{"from": []any{map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": MonitoringNamespace}}}},
				"ports": port(valkeyMetricsPort)},
			map[string]any{"from": peers, "ports": port(valkeyPort)},
			map[string]any{"from": []any{client}, "ports": port(valkeyPort)},
		},
	}
	return o
}
