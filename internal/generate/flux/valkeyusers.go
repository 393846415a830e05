package flux

import (
	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
)

// The users Secret of a Valkey (the valkey chart's usersExistingSecret:
// one key per ACL user) and what the failover controller needs to find
// it. One home for the platform's Valkey (valkey.go) and a team's Tier-1
// Valkey (internal/portal/render).

// valkeyACLUsers are the users of the valkey blueprint's auth.aclUsers;
// the standby's primary signs in to the active one as "replication".
var valkeyACLUsers = []string{failoverv1.ValkeySecretKey, "replication"}

// ValkeyUsers names a Valkey's users Secret and where it is kept.
type ValkeyUsers struct {
	Namespace, Secret string
	// GeneratorPrefix names the Password generators <prefix><user>.
	GeneratorPrefix string
	// Key is the OpenBao entry the Secret is pushed to and read back from.
	Key string
	// Labels go on every object (the portal's ownership labels).
	Labels map[string]string
}

func (u ValkeyUsers) newObj(apiVersion, kind, name string) obj {
	o := newObj(apiVersion, kind, name, u.Namespace)
	if len(u.Labels) > 0 {
		setLabels(o, u.Labels)
	}
	return o
}

// Generated makes the passwords in the cluster, once (refreshInterval 0),
// by one External Secrets Password generator per user, so they never pass
// through Git; with stores, a PushSecret copies the Secret to those
// OpenBao ClusterSecretStores at Key.
func (u ValkeyUsers) Generated(stores []string) []obj {
	var out []obj
	var from []any
	for _, user := range valkeyACLUsers {
		name := u.GeneratorPrefix + user
		gen := u.newObj(generatorsAPI, "Password", name)
		gen["spec"] = obj{"length": int64(32), "digits": int64(6), "symbols": int64(0), "noUpper": false, "allowRepeat": true}
		out = append(out, gen)
		from = append(from, obj{
			"sourceRef": obj{"generatorRef": obj{"apiVersion": generatorsAPI, "kind": "Password", "name": name}},
			// Each generator yields the key "password": name it for its user.
			"rewrite": []any{obj{"regexp": obj{"source": "^password$", "target": user}}},
		})
	}
	es := u.newObj(esoV1, "ExternalSecret", u.Secret)
	es["spec"] = obj{
		"refreshInterval": "0",
		"target":          obj{"name": u.Secret, "creationPolicy": "Owner", "deletionPolicy": "Retain"},
		"dataFrom":        from,
	}
	out = append(out, es)
	if len(stores) > 0 {
		ps := pushSecretObj(u.Namespace, u.Secret, u.Key, stores)
		if len(u.Labels) > 0 {
			setLabels(ps, u.Labels)
		}
		out = append(out, ps)
	}
	return out
}

// ReadBack is the Secret in a region that does not generate it: read
// from that region's OpenBao (store), where the generating region pushed
// it, so both regions' Valkey sign in with the same passwords.
func (u ValkeyUsers) ReadBack(store string) obj {
	es := u.newObj(esoV1, "ExternalSecret", u.Secret)
	var data []any
	for _, user := range valkeyACLUsers {
		data = append(data, obj{"secretKey": user, "remoteRef": obj{"key": u.Key, "property": user}})
	}
	es["spec"] = obj{
		"refreshInterval": "1h",
		"secretStoreRef":  obj{"kind": "ClusterSecretStore", "name": store},
		"target":          obj{"name": u.Secret, "creationPolicy": "Owner", "deletionPolicy": "Retain"},
		"data":            data,
	}
	return es
}

// FailoverAccess lets the failover controller read the users Secret (the
// default user's password, to promote and re-point the Valkey) by name,
// and no other Secret of the namespace: a Role and RoleBinding named name.
func (u ValkeyUsers) FailoverAccess(name string) []obj {
	role := u.newObj("rbac.authorization.k8s.io/v1", "Role", name)
	role["rules"] = []any{obj{"apiGroups": []any{""}, "resources": []any{"secrets"}, "resourceNames": []any{u.Secret}, "verbs": []any{"get"}}}
	bind := u.newObj("rbac.authorization.k8s.io/v1", "RoleBinding", name)
	bind["roleRef"] = obj{"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name}
	bind["subjects"] = []any{obj{"kind": "ServiceAccount", "name": FailoverServiceAccount, "namespace": FailoverNamespace}}
	return []obj{role, bind}
}

// FollowActiveRegion marks s, the Service of this region's Valkey
// primary, for the FailoverGroup's valkeySelector: labelled to follow the
// active region, naming the peer region's Service of the same instance
// and the users Secret (docs/failover.md, "Valkey instances selected by
// label").
func (u ValkeyUsers) FollowActiveRegion(s obj, peerService string) {
	setLabels(s, map[string]string{failoverv1.FollowActiveRegionLabel: failoverv1.FollowActiveRegionValue})
	ann, _ := meta(s)["annotations"].(obj)
	if ann == nil {
		ann = obj{}
		meta(s)["annotations"] = ann
	}
	ann[failoverv1.ValkeyPeerServiceAnnotation] = peerService
	ann[failoverv1.ValkeySecretAnnotation] = u.Secret
}
