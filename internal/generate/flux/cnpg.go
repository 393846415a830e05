package flux

import "fmt"

const cnpgAPI = "postgresql.cnpg.io/v1"

func init() { features = append(features, databases) }

// databases gives each component that connects to <name>-pg-rw its CNPG
// Cluster. With two regions the Clusters of both form a distributed
// topology: the first region's is primary, the other streams its WAL
// (async) from the primary's global Service <name>-pg-<region> over
// Cluster Mesh; the failover controller moves spec.replica.primary.
func databases(p *plan, r *region) []unit {
	if !p.has("cnpg") {
		return nil
	}
	var out []unit
	for _, db := range p.databases() {
		c := newObj(cnpgAPI, "Cluster", db.cluster, db.namespace)
		spec := obj{
			"instances":             int64(2),
			"enableSuperuserAccess": false,
			"storage":               obj{"size": "20Gi"},
			"affinity":              obj{"enablePodAntiAffinity": true, "topologyKey": "kubernetes.io/hostname"},
			"inheritedMetadata":     obj{"labels": obj{"openova.io/region": r.Name}},
			"bootstrap":             obj{"initdb": obj{"database": "app", "owner": "app"}},
		}
		objs := []obj{c}
		if r.Peer != nil {
			primary := p.regions[0]
			if !r.Primary() {
				spec["bootstrap"] = obj{"pg_basebackup": obj{"source": db.member(primary)}}
			}
			spec["replica"] = obj{"primary": db.member(primary), "source": db.member(r.Peer), "self": db.member(r)}
			var ext []any
			for _, m := range []*region{p.regions[0], p.regions[1]} {
				ext = append(ext, obj{
					"name": db.member(m),
					"connectionParameters": obj{
						"host": fmt.Sprintf("%s.%s.svc", db.member(m), db.namespace), "user": "streaming_replica",
						"dbname": "postgres", "sslmode": "verify-full",
					},
					"sslKey":      obj{"name": db.cluster + "-replication", "key": "tls.key"},
					"sslCert":     obj{"name": db.cluster + "-replication", "key": "tls.crt"},
					"sslRootCert": obj{"name": db.cluster + "-ca", "key": "ca.crt"},
				})
			}
			spec["externalClusters"] = ext
			objs = append(objs, pgServices(db, p.regions)...)
		}
		c["spec"] = spec
		out = append(out, unit{db.component, "database.yaml", objs})
	}
	return out
}

// pgServices name each region's primary <name>-pg-<region> in both
// clusters; as Cilium global Services they reach the peer's pods.
func pgServices(db database, regions []*region) []obj {
	var out []obj
	for _, m := range regions {
		s := newObj("v1", "Service", db.member(m), db.namespace)
		meta(s)["annotations"] = obj{"service.cilium.io/global": "true", "service.cilium.io/shared": "true"}
		s["spec"] = obj{
			"selector": obj{"cnpg.io/cluster": db.cluster, "cnpg.io/instanceRole": "primary", "openova.io/region": m.Name},
			"ports":    []any{obj{"name": "postgres", "port": int64(5432), "targetPort": int64(5432)}},
		}
		out = append(out, s)
	}
	return out
}
