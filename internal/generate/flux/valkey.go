package flux

func init() { features = append(features, valkeyServices) }

// valkeyReplicaValues makes the standby region's Valkey primary a REPLICAOF
// the primary region's (OPENOVA.md §4), through the valkey chart's own
// keys: podLabels (so a Cilium global Service can select one region's
// pods) and valkeyConfig (appended to valkey.conf). The replication user's
// password reaches the chart from the ESO-managed users Secret, never the
// tree. The failover controller re-points it at runtime (REPLICAOF NO ONE
// on the survivor, carrying the lease epoch).
func valkeyReplicaValues(p *plan, r *region) map[string]any {
	v := map[string]any{"podLabels": map[string]any{"openova.io/region": r.Name}}
	if r.Peer != nil && !r.Primary() {
		primary := p.regions[0]
		v["valkeyConfig"] = ValkeyReplicaConfig(valkeyMember(primary) + ".valkey.svc")
	}
	return v
}

func valkeyMember(r *region) string { return "valkey-" + r.Name }

// valkeyServices name each region's Valkey primary valkey-<region> in both
// clusters; as Cilium global Services they reach the peer's pod.
func valkeyServices(p *plan, r *region) []unit {
	if !p.has("valkey") || r.Peer == nil {
		return nil
	}
	var objs []obj
	for _, m := range p.regions {
		s := newObj("v1", "Service", valkeyMember(m), "valkey")
		meta(s)["annotations"] = obj{"service.cilium.io/global": "true", "service.cilium.io/shared": "true"}
		s["spec"] = obj{
			"selector": obj{
				"app.kubernetes.io/name": "valkey", "app.kubernetes.io/instance": "valkey",
				"statefulset.kubernetes.io/pod-name": "valkey-0", "openova.io/region": m.Name,
			},
			"ports": []any{obj{"name": "tcp", "port": int64(6379), "targetPort": int64(6379)}},
		}
		objs = append(objs, s)
	}
	return []unit{{"valkey", "replication.yaml", objs}}
}
