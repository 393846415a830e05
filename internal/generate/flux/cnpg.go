package flux

import (
	"fmt"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
)

const cnpgAPI = "postgresql.cnpg.io/v1"

func init() { features = append(features, databases) }

// databases gives each component that connects to <name>-pg-rw its CNPG
// Cluster (see PostgresCluster), backed up to archival S3 (see
// PostgresBackup): the ObjectStore and its Secret come before the Cluster
// that names them, the ScheduledBackup after it.
func databases(p *plan, r *region) []unit {
	if !p.has("cnpg") {
		return nil
	}
	var names []string
	for _, m := range p.regions {
		names = append(names, m.Name)
	}
	var out []unit
	for _, db := range p.databases() {
		c, svcs := PostgresCluster(PostgresTopology{Cluster: db.cluster, Namespace: db.namespace, Regions: names}, r.Name)
		bk, ok := p.postgresBackup(db, r)
		if !ok {
			out = append(out, unit{db.component, "database.yaml", append([]obj{c}, svcs...)})
			continue
		}
		c["spec"].(obj)["plugins"] = []any{bk.Plugin()}
		objs := append([]obj{bk.ExternalSecret(), bk.ObjectStore(), c}, svcs...)
		out = append(out, unit{db.component, "database.yaml", append(objs, bk.ScheduledBackup())})
	}
	return out
}

// PostgresTopology is a CNPG cluster and the regions it spans. It is the
// one description of a PostgreSQL database across regions, shared by the
// platform's own databases and the portal's claimed ones.
type PostgresTopology struct {
	Cluster, Namespace string
	// Regions are region names, the primary's first; one or two.
	Regions []string
}

// Member is the cluster's name in the distributed topology of a region.
func (t PostgresTopology) Member(region string) string { return t.Cluster + "-" + region }

// PostgresCluster returns the CNPG Cluster of region. With two regions the
// Clusters of both form a distributed topology: the first region's is
// primary, the other bootstraps from it and streams its WAL (async) from
// the primary's global Service <cluster>-<region> over Cluster Mesh; the
// failover controller moves spec.replica.primary of every Cluster labelled
// failover.openova.io/follow (its FailoverGroup's cnpgSelector). The returned Services are
// those global Services (none with one region).
func PostgresCluster(t PostgresTopology, region string) (cluster map[string]any, services []map[string]any) {
	c := newObj(cnpgAPI, "Cluster", t.Cluster, t.Namespace)
	spec := obj{
		"instances":             int64(2),
		"enableSuperuserAccess": false,
		"storage":               obj{"size": "20Gi"},
		"affinity":              obj{"enablePodAntiAffinity": true, "topologyKey": "kubernetes.io/hostname"},
		"inheritedMetadata":     obj{"labels": obj{"openova.io/region": region}},
		"bootstrap":             obj{"initdb": obj{"database": "app", "owner": "app"}},
	}
	c["spec"] = spec
	if len(t.Regions) < 2 {
		return c, nil
	}
	// The FailoverGroup selects by this label, so every two-region member
	// (the platform's and the portal's) follows the active region.
	meta(c)["labels"] = obj{failoverv1.FollowActiveRegionLabel: failoverv1.FollowActiveRegionValue}
	primary, peer := t.Regions[0], t.Regions[1]
	if region == peer {
		peer = primary
	}
	if region != primary {
		spec["bootstrap"] = obj{"pg_basebackup": obj{"source": t.Member(primary)}}
	}
	spec["replica"] = obj{"primary": t.Member(primary), "source": t.Member(peer), "self": t.Member(region)}
	var ext []any
	for _, m := range t.Regions[:2] {
		ext = append(ext, obj{
			"name": t.Member(m),
			"connectionParameters": obj{
				"host": fmt.Sprintf("%s.%s.svc", t.Member(m), t.Namespace), "user": "streaming_replica",
				"dbname": "postgres", "sslmode": "verify-full",
			},
			"sslKey":      obj{"name": t.Cluster + "-replication", "key": "tls.key"},
			"sslCert":     obj{"name": t.Cluster + "-replication", "key": "tls.crt"},
			"sslRootCert": obj{"name": t.Cluster + "-ca", "key": "ca.crt"},
		})
	}
	spec["externalClusters"] = ext
	return c, pgServices(t)
}

// pgServices name each region's primary <cluster>-<region> in both
// clusters; as Cilium global Services they reach the peer's pods.
func pgServices(t PostgresTopology) []obj {
	var out []obj
	for _, m := range t.Regions[:2] {
		s := newObj("v1", "Service", t.Member(m), t.Namespace)
		meta(s)["annotations"] = obj{"service.cilium.io/global": "true", "service.cilium.io/shared": "true"}
		s["spec"] = obj{
			"selector": obj{"cnpg.io/cluster": t.Cluster, "cnpg.io/instanceRole": "primary", "openova.io/region": m},
			"ports":    []any{obj{"name": "postgres", "port": int64(5432), "targetPort": int64(5432)}},
		}
		out = append(out, s)
	}
	return out
}

// keepFailoverFields keeps Flux from undoing a failover. The failover
// controller moves spec.replica.primary (and sets promotionToken) of every
// labelled member; Git still holds the primary it was rendered with, and
// kustomize-controller's drift correction would put it back at the next
// reconcile. Each Kustomization of a two-region cluster therefore ignores
// exactly those two fields on labelled CNPG Clusters (spec.ignore), and
// keeps reconciling everything else.
func (p *plan) keepFailoverFields(r *region, kustomizations []obj) {
	if r.Peer == nil || !p.has("cnpg") || !p.has("failover-controller") {
		return
	}
	for _, k := range kustomizations {
		spec, _ := k["spec"].(obj)
		if spec == nil || kindOf(k) != "Kustomization" {
			continue
		}
		spec["ignore"] = []any{obj{
			"paths": []any{"/spec/replica/primary", "/spec/replica/promotionToken"},
			"target": obj{"group": "postgresql.cnpg.io", "kind": "Cluster",
				"labelSelector": failoverv1.FollowActiveRegionLabel + "=" + failoverv1.FollowActiveRegionValue},
		}}
	}
}
