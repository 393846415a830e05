package render

import (
	"fmt"

	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/openova-io/openova/internal/generate/flux"
	"github.com/openova-io/openova/internal/instance"
)

const (
	cnpgAPI = "postgresql.cnpg.io/v1"
	// PruneAnnotation keeps an object when its file leaves Git: Flux's
	// documented opt-out of garbage collection.
	PruneAnnotation = "kustomize.toolkit.fluxcd.io/prune"
	// OperatorNamespace and MonitoringNamespace are the namespaces of the
	// cnpg and grafana blueprints (a test holds them to the catalog).
	OperatorNamespace   = "cnpg-system"
	MonitoringNamespace = "observability"
)

// sizes are the claim's compute sizes per instance (the schema's words).
var sizes = map[string][2]string{"S": {"500m", "1Gi"}, "M": {"1", "4Gi"}, "L": {"2", "8Gi"}, "XL": {"4", "16Gi"}}

// postgres is a PostgresClaim's values, defaults applied.
type postgres struct {
	tier, backup, networkProfile, size, version, storage string
	ha, deletionProtection                               bool
}

func postgresOf(v map[string]any) postgres {
	s := func(k string) string { x, _ := v[k].(string); return x }
	b := func(k string) bool { x, _ := v[k].(bool); return x }
	return postgres{tier: s("tier"), backup: s("backup"), networkProfile: s("networkProfile"), size: s("size"),
		version: s("version"), storage: s("storage"), ha: b("ha"), deletionProtection: b("deletionProtection")}
}

func checkPostgres(v map[string]any, regions int) field.ErrorList {
	p := postgresOf(v)
	vals := field.NewPath("values")
	var errs field.ErrorList
	if p.tier == "tier-1" && !p.ha {
		errs = append(errs, field.Invalid(vals.Child("ha"), false, "tier-1 needs a primary and two standbys for its synchronous quorum; set ha: true or choose tier-2"))
	}
	if p.tier == "tier-1" && p.backup == "none" {
		errs = append(errs, field.Invalid(vals.Child("backup"), "none", "tier-1 is backed up to archival S3; choose continuous or daily, or tier-2"))
	}
	if p.networkProfile == "peer-region" && regions == 1 {
		errs = append(errs, field.Invalid(vals.Child("networkProfile"), "peer-region", "this instance has one region; choose namespace or cluster"))
	}
	return errs
}

// regions a claim runs in: tier-1 gets a replica cluster in the peer
// region (OPENOVA.md §4), the others live in the primary region only.
func (p postgres) regions(t Target) []string {
	if p.tier == "tier-1" && len(t.Regions) > 1 {
		return t.Regions[:2]
	}
	return t.Regions[:1]
}

func renderPostgres(t Target, c Claim) (*Result, error) {
	if len(t.Regions) == 0 {
		return nil, fmt.Errorf("instance has no region; instance.yaml spec.regions lists at least one")
	}
	p := postgresOf(c.Values)
	if p.backup != "none" && (t.ArchivalEndpoint == "" || t.ArchivalBucket == "") {
		return nil, fmt.Errorf("backup %s needs archival S3, but instance.yaml spec.archival has no endpoint or bucket; set them or request backup: none", p.backup)
	}
	topo := flux.PostgresTopology{Cluster: c.Name, Namespace: c.Namespace, Regions: p.regions(t)}
	res := &Result{Regions: topo.Regions, Objects: map[string][]map[string]any{}, ConnectionSecret: c.Name + "-app",
		Ready: ObjectRef{cnpgAPI, "Cluster", c.Namespace, c.Name}, SecretField: "status.secretsResourceVersion.applicationSecretVersion"}
	for _, region := range topo.Regions {
		var objs []map[string]any
		bk := p.archive(t, c, region)
		if p.backup != "none" {
			objs = append(objs, bk.ExternalSecret(), bk.ObjectStore())
		}
		cluster, services := flux.PostgresCluster(topo, region)
		if err := p.shape(t, c, cluster, bk); err != nil {
			return nil, err
		}
		objs = append(objs, cluster)
		for _, s := range services {
			withLabels(s, c.Labels)
			objs = append(objs, s)
		}
		if p.backup != "none" {
			objs = append(objs, bk.ScheduledBackup())
		}
		objs = append(objs, p.networkPolicy(t, c, topo, region))
		res.Objects[region] = objs
	}
	return res, nil
}

// archive is the claim's backup in region, in the generator's shape (the
// platform's own databases are backed up the same way).
func (p postgres) archive(t Target, c Claim, region string) flux.PostgresBackup {
	return flux.PostgresBackup{Cluster: c.Name, Namespace: c.Namespace, Region: region, KubeCluster: t.Cluster(region),
		Endpoint: t.ArchivalEndpoint, Bucket: t.ArchivalBucket, Continuous: p.backup == "continuous", Labels: c.Labels}
}

// shape turns the topology's Cluster into the claimed one, then merges the
// Advanced lane over its spec.
func (p postgres) shape(t Target, c Claim, cluster map[string]any, bk flux.PostgresBackup) error {
	withLabels(cluster, c.Labels)
	if p.deletionProtection {
		cluster["metadata"].(map[string]any)["annotations"] = map[string]any{PruneAnnotation: "disabled"}
	}
	spec := cluster["spec"].(map[string]any)
	instances := int64(1)
	if p.ha {
		instances = 3
	}
	cpu, mem := sizes[p.size][0], sizes[p.size][1]
	spec["instances"] = instances
	spec["imageName"] = fmt.Sprintf("%s/cloudnative-pg/postgresql:%s", t.Registry, p.version)
	spec["storage"] = map[string]any{"size": p.storage}
	spec["resources"] = map[string]any{"requests": map[string]any{"cpu": cpu, "memory": mem}, "limits": map[string]any{"memory": mem}}
	// CNPG's own PodDisruptionBudgets; a second one over the same pods
	// would make every eviction fail. One instance has nothing to keep
	// available and must not block node drains.
	spec["enablePDB"] = p.ha
	if p.tier == "tier-1" {
		spec["postgresql"] = map[string]any{"synchronous": map[string]any{"method": "any", "number": int64(1), "dataDurability": "required"}}
	}
	if p.backup != "none" {
		spec["plugins"] = []any{bk.Plugin()}
	}
	if len(c.Advanced) > 0 {
		cluster["spec"] = instance.MergeValues(spec, c.Advanced)
	}
	return nil
}

// ciliumCluster is the label Cilium gives every endpoint with its cluster
// name; selecting on it keeps each rule to the cluster it names across
// Cluster Mesh.
const ciliumCluster = "io.cilium.k8s.policy.cluster"

// networkPolicy admits the CNPG operator, the metrics scraper, the
// cluster's own instances (in the peer cluster too when it streams from
// there) and the clients of the network profile, and nothing else.
func (p postgres) networkPolicy(t Target, c Claim, topo flux.PostgresTopology, region string) map[string]any {
	o := newObj("networking.k8s.io/v1", "NetworkPolicy", c.Name+"-postgres", c.Namespace, c.Labels)
	pods := func(cluster string, extra map[string]any) map[string]any {
		l := map[string]any{ciliumCluster: cluster}
		for k, v := range extra {
			l[k] = v
		}
		return map[string]any{"podSelector": map[string]any{"matchLabels": l}}
	}
	port := func(n int64) map[string]any { return map[string]any{"protocol": "TCP", "port": n} }
	pg, status := port(5432), port(8000)
	namespace := func(ns string) map[string]any {
		return map[string]any{"namespaceSelector": map[string]any{"matchLabels": map[string]any{"kubernetes.io/metadata.name": ns}}}
	}
	own := map[string]any{"cnpg.io/cluster": c.Name}
	var peers, clients []any
	for _, r := range topo.Regions {
		peers = append(peers, pods(t.Cluster(r), own))
	}
	local := t.Cluster(region)
	switch p.networkProfile {
	case "cluster":
		peer := pods(local, nil)
		peer["namespaceSelector"] = map[string]any{}
		clients = []any{peer}
	case "peer-region":
		for _, r := range t.Regions {
			clients = append(clients, pods(t.Cluster(r), nil))
		}
	default: // namespace
		clients = []any{pods(local, nil)}
	}
	o["spec"] = map[string]any{
		"podSelector": map[string]any{"matchLabels": own},
		"policyTypes": []any{"Ingress"},
		"ingress": []any{
			map[string]any{"from": []any{namespace(OperatorNamespace)}, "ports": []any{pg, status}},
			// Alloy scrapes every pod's declared ports; CNPG's exporter is 9187.
			map[string]any{"from": []any{namespace(MonitoringNamespace)}, "ports": []any{port(9187)}},
			map[string]any{"from": peers, "ports": []any{pg, status}},
			map[string]any{"from": clients, "ports": []any{pg}},
		},
	}
	return o
}

func withLabels(o map[string]any, labels map[string]string) {
	if len(labels) == 0 {
		return
	}
	md := o["metadata"].(map[string]any)
	l, _ := md["labels"].(map[string]any)
	if l == nil {
		l = map[string]any{}
	}
	for k, v := range labels {
		l[k] = v
	}
	md["labels"] = l
}
