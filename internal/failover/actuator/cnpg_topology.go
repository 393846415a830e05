package actuator

import (
	"errors"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// ErrNotTopologyMember: a Cluster the controller was asked to move is not
// a member of a two-member CNPG distributed topology.
var ErrNotTopologyMember = errors.New("not a member of a two-member CNPG distributed topology")

// TopologyName is a Cluster's name in its distributed topology:
// spec.replica.self, which CNPG defaults to metadata.name. The generator
// names the same Cluster alike in both regions and tells them apart with
// self (<cluster>-<region>), so metadata.name alone is not enough.
func TopologyName(u *unstructured.Unstructured) string {
	if s, _, _ := unstructured.NestedString(u.Object, "spec", "replica", "self"); s != "" {
		return s
	}
	return u.GetName()
}

// CNPGTopology reads a Cluster's own description of its place in a
// two-member distributed topology (CNPG ≥ 1.24) and returns its topology
// name and its peer's.
//
// The peer is spec.replica.source: the external cluster this member
// streams WAL from while it is a replica, which in a two-member topology
// is by definition the other member. externalClusters alone would not do:
// it also lists recovery and backup sources, so "the entry that is not
// self" can be ambiguous. The rule refuses anything the actuator could
// not move safely:
//   - spec.replica.primary must be set (the distributed topology; the
//     older spec.replica.enabled switch is not moved by primary),
//   - source must be set, differ from self and be listed in
//     externalClusters (CNPG needs it to connect),
//   - primary must name self or the peer (a third member means a larger
//     topology, whose promotion order the controller does not know).
func CNPGTopology(u *unstructured.Unstructured) (self, peer string, err error) {
	self = TopologyName(u)
	replica, _, _ := unstructured.NestedMap(u.Object, "spec", "replica")
	primary, _ := replica["primary"].(string)
	peer, _ = replica["source"].(string)
	fail := func(format string, args ...any) (string, string, error) {
		return self, peer, fmt.Errorf("%w: %s", ErrNotTopologyMember, fmt.Sprintf(format, args...))
	}
	switch {
	case replica == nil:
		return fail("spec.replica is not set; render it as a distributed topology (spec.replica.primary, self, source)")
	case replica["enabled"] != nil:
		return fail("spec.replica.enabled is set: a replica cluster, not a distributed topology member; remove it and set spec.replica.primary")
	case primary == "":
		return fail("spec.replica.primary is not set")
	case peer == "":
		return fail("spec.replica.source is not set; it must name the other region's member")
	case peer == self:
		return fail("spec.replica.source %q is this Cluster itself; it must name the other region's member", peer)
	case primary != self && primary != peer:
		return fail("spec.replica.primary %q is neither this member %q nor its source %q", primary, self, peer)
	case !listsExternalCluster(u, peer):
		return fail("spec.replica.source %q is not listed in spec.externalClusters", peer)
	}
	return self, peer, nil
}

func listsExternalCluster(u *unstructured.Unstructured, name string) bool {
	ext, _, _ := unstructured.NestedSlice(u.Object, "spec", "externalClusters")
	for _, e := range ext {
		if m, ok := e.(map[string]any); ok && m["name"] == name {
			return true
		}
	}
	return false
}
