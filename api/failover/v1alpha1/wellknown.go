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
