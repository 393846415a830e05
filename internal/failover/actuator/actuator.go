// Package actuator carries out the failover controller's decisions on the
// world: the k8gb gate (external traffic), Cilium global-service annotations
// (internal traffic), CNPG replica clusters, Valkey REPLICAOF and Strimzi
// KafkaMirrorMaker2 connectors (stateful services).
//
// Every actuation carries the epoch (the witness's fencing token) and is
// stamped with it on the object it changes; an actuation with an epoch lower
// than the one already stamped is refused with ErrStaleEpoch, so a delayed
// or duplicated command from an old term can never undo a newer one. Every
// method is idempotent: repeating it with the same epoch changes nothing.
package actuator

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
)

// Role is what an actuation made this region's resource.
type Role string

const (
	// RoleActive serves traffic / is primary.
	RoleActive Role = "active"
	// RoleStandby does not serve / replicates from the peer.
	RoleStandby Role = "standby"
	// RoleFenced has stepped down locally without help from the peer.
	RoleFenced Role = "fenced"
	// RoleUnknown: never actuated by us, or not readable.
	RoleUnknown Role = ""
)

// Actuator switches one resource between active and standby.
type Actuator interface {
	// Name identifies the actuator and its object in events and history,
	// e.g. "gate default/shop".
	Name() string
	// Activate makes this region's resource serve, at epoch.
	Activate(ctx context.Context, epoch uint64) error
	// Deactivate makes it stand by in an orderly way (planned switchover,
	// or standby start-up), at epoch.
	Deactivate(ctx context.Context, epoch uint64) error
	// Fence steps it down using only this region's own API server or data
	// service: the holder calls it before its lease deadline, when the
	// peer and the witness may be unreachable.
	Fence(ctx context.Context, epoch uint64) error
	// Observe reads what the resource is now, for confirmation and /status.
	Observe(ctx context.Context) (Observation, error)
}

// Observation is the actuated state of one resource.
type Observation struct {
	Role  Role
	Epoch uint64
	// Confirmed is true when the resource itself reports the role (e.g. the
	// EndpointSlice condition, the Valkey ROLE reply), not only our stamp.
	Confirmed bool
	// Detail is a short human description, free of secrets.
	Detail string
}

// ErrStaleEpoch is returned when an object already carries a higher epoch.
var ErrStaleEpoch = errors.New("stale epoch")

// StaleEpochError says which object refused which epoch.
type StaleEpochError struct {
	Object  string
	Epoch   uint64
	Stamped uint64
}

func (e *StaleEpochError) Error() string {
	return fmt.Sprintf("%s: refusing epoch %d, object already stamped with epoch %d by a newer term", e.Object, e.Epoch, e.Stamped)
}

func (e *StaleEpochError) Unwrap() error { return ErrStaleEpoch }

// checkEpoch refuses epoch if the stamp in annotations is higher.
func checkEpoch(object string, annotations map[string]string, epoch uint64) error {
	stamped, err := stampedEpoch(object, annotations)
	if err != nil {
		return err
	}
	if epoch < stamped {
		return &StaleEpochError{Object: object, Epoch: epoch, Stamped: stamped}
	}
	return nil
}

// stampedEpoch reads the epoch annotation; absent means 0.
func stampedEpoch(object string, annotations map[string]string) (uint64, error) {
	v, ok := annotations[failoverv1.EpochAnnotation]
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: annotation %s=%q is not an epoch; remove it or set it to the current epoch", object, failoverv1.EpochAnnotation, v)
	}
	return n, nil
}

func epochString(epoch uint64) string { return strconv.FormatUint(epoch, 10) }
