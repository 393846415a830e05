package flux

func init() { features = append(features, valkeyServices, valkeyUsersSecret) }

const valkeyNS = "valkey"

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
		v["valkeyConfig"] = ValkeyReplicaConfig(valkeyMember(primary) + "." + valkeyNS + ".svc")
	}
	return v
}

func valkeyMember(r *region) string { return "valkey-" + r.Name }

// valkeyUsers is the platform Valkey's users Secret (the blueprint's
// auth.usersExistingSecret), generated in the primary region.
func (p *plan) valkeyUsers() ValkeyUsers {
	secret := p.spec.Tenant + "-valkey-users"
	return ValkeyUsers{Namespace: valkeyNS, Secret: secret, GeneratorPrefix: p.spec.Tenant + "-valkey-",
		Key: CredentialKey(p.regions[0].Cluster, valkeyNS, secret)}
}

// valkeyUsersSecret: the primary region generates the users' passwords
// and pushes them to every region's OpenBao (as credentials() are); the
// standby reads them back from its own, so its primary signs in to the
// active one as "replication", and clients keep their password after a
// failover. OpenBao is mandatory; were it deselected, each region would
// make its own Secret (the chart still starts, replication cannot sign in).
func valkeyUsersSecret(p *plan, r *region) []unit {
	if !p.has("valkey") || !p.has("external-secrets") {
		return nil
	}
	u := p.valkeyUsers()
	if !p.has("openbao") {
		return []unit{{"valkey", "credentials.yaml", u.Generated(nil)}}
	}
	if !r.Primary() {
		return []unit{{"valkey", "credentials.yaml", []obj{u.ReadBack(storeName(r))}}}
	}
	return []unit{{"valkey", "credentials.yaml", u.Generated(pushStores(r))}}
}

// valkeyServices name each region's Valkey primary valkey-<region> in both
// clusters; as Cilium global Services they reach the peer's pod. The
// local region's one is what the FailoverGroup's valkeySelector matches;
// the failover controller may read the users Secret, and only it.
func valkeyServices(p *plan, r *region) []unit {
	if !p.has("valkey") || r.Peer == nil {
		return nil
	}
	u := p.valkeyUsers()
	var objs []obj
	for _, m := range p.regions {
		s := newObj("v1", "Service", valkeyMember(m), valkeyNS)
		meta(s)["annotations"] = obj{"service.cilium.io/global": "true", "service.cilium.io/shared": "true"}
		if m == r {
			u.FollowActiveRegion(s, valkeyMember(r.Peer))
		}
		s["spec"] = obj{
			"selector": obj{
				"app.kubernetes.io/name": "valkey", "app.kubernetes.io/instance": "valkey",
				"statefulset.kubernetes.io/pod-name": "valkey-0", "openova.io/region": m.Name,
			},
			"ports": []any{obj{"name": "tcp", "port": int64(6379), "targetPort": int64(6379)}},
		}
		objs = append(objs, s)
	}
	objs = append(objs, u.FailoverAccess("valkey-failover")...)
	return []unit{{"valkey", "replication.yaml", objs}}
}
