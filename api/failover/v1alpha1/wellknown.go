package v1alpha1

// Keys the controller and actuators write on objects they touch.
const (
	// EpochAnnotation carries the fencing epoch of the last actuation of an
	// object; actuators refuse to act with a lower one.
	EpochAnnotation = "failover.openova.io/epoch"
	// RoleAnnotation records the role the last actuation gave an object
	// (active or standby), for humans and Observe.
	RoleAnnotation = "failover.openova.io/role"
	// RebuildAnnotation marks a CNPG Cluster that was primary when its peer
	// was promoted without a token: it has diverged and must be re-cloned as
	// a replica, never resumed as primary.
	RebuildAnnotation = "failover.openova.io/rebuild-required"
)

// FollowActiveRegionLabel marks a CNPG Cluster, or the Service of a
// region's Valkey primary, that follows the active region: the generated
// FailoverGroups select FollowActiveRegionLabel=FollowActiveRegionValue
// (cnpgSelector, valkeySelector), and the generator and the portal put it
// on every two-region Cluster and Tier-1 Valkey they render.
const (
	FollowActiveRegionLabel = "failover.openova.io/follow"
	FollowActiveRegionValue = "true"
)

// Annotations on a Service the Valkey selector matches.
const (
	// ValkeyPeerServiceAnnotation names the peer region's Service of the
	// same instance, in the same namespace: REPLICAOF its address while
	// this region stands by.
	ValkeyPeerServiceAnnotation = "failover.openova.io/valkey-peer-service"
	// ValkeySecretAnnotation names a Secret in the same namespace whose
	// key ValkeySecretKey is the password of Valkey's default user.
	ValkeySecretAnnotation = "failover.openova.io/valkey-secret"
	// ValkeySecretKey is the key of the default user's password (the
	// valkey chart's usersExistingSecret: one key per user).
	ValkeySecretKey = "default"
)
