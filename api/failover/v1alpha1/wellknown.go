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

// FollowActiveRegionLabel marks a CNPG Cluster whose primary follows the
// active region: the generated FailoverGroups select
// FollowActiveRegionLabel=FollowActiveRegionValue, and the generator and
// the portal put it on every two-region Cluster they render.
const (
	FollowActiveRegionLabel = "failover.openova.io/follow"
	FollowActiveRegionValue = "true"
)
