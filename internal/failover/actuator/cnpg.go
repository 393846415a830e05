package actuator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
)

// FencedInstancesAnnotation is CNPG's fencing annotation: a JSON list of
// instance names whose Postgres is shut down, "*" for all of them.
const FencedInstancesAnnotation = "cnpg.io/fencedInstances"

// ErrRebuildRequired: the Cluster was primary when its peer was promoted
// without a token; its timeline has diverged and it must never be primary
// again until it is re-cloned as a replica.
var ErrRebuildRequired = errors.New("cluster must be rebuilt as a replica")

// CNPG is the actuator of one member of a CloudNativePG distributed
// topology (CNPG ≥ 1.24): both Clusters list each other in
// externalClusters, and spec.replica.primary names the one primary.
//
//   - Planned switchover (Switchover): demote the primary by pointing its
//     spec.replica.primary at the peer; the operator shuts it down cleanly
//     and publishes status.demotionToken; then ONE patch of the peer sets
//     spec.replica.primary and spec.replica.promotionToken together. No
//     data is lost and the old primary rejoins as a replica unchanged.
//   - Unplanned promotion (Activate): spec.replica.primary = self with no
//     token. The old primary may hold writes the peer never received; when
//     it is next seen it is fenced and marked for rebuild (Deactivate after
//     Fence), so it never resumes as primary.
//   - Self-fencing (Fence): cnpg.io/fencedInstances ["*"] shuts down every
//     instance of the local Cluster, with one write to the local API server.
type CNPG struct {
	Client          client.Client
	Namespace, Clus string
	// Self is this Cluster's name in the topology; empty means read it
	// from the Cluster at each actuation (TopologyName). Peer is the other
	// member's topology name.
	Self, Peer string
}

// NewCNPG returns the actuator of one FailoverGroup CNPG entry.
func NewCNPG(c client.Client, namespace string, e failoverv1.CNPGCluster) *CNPG {
	return &CNPG{Client: c, Namespace: orNamespace(e.Namespace, namespace), Clus: e.Name, Peer: e.PeerCluster}
}

// self is this Cluster's topology name as read in u.
func (a *CNPG) self(u *unstructured.Unstructured) string {
	if a.Self != "" {
		return a.Self
	}
	return TopologyName(u)
}

func (a *CNPG) Name() string { return "cnpg " + a.Namespace + "/" + a.Clus }

func (a *CNPG) obj() *unstructured.Unstructured {
	return newUnstructured(cnpgClusterGVK, a.Namespace, a.Clus)
}

// Activate promotes this Cluster without a promotion token (unplanned:
// the peer is gone) and lifts our own fencing, in one patch. It refuses a
// Cluster marked for rebuild.
func (a *CNPG) Activate(ctx context.Context, epoch uint64) error { return a.Promote(ctx, epoch, "") }

// Promote makes this Cluster the topology's primary: ONE patch setting
// spec.replica.primary and, for a planned switchover, the peer's demotion
// token as spec.replica.promotionToken (CNPG then waits to replay WAL up to
// the token's LSN before promoting). An empty token is an unplanned
// promotion.
func (a *CNPG) Promote(ctx context.Context, epoch uint64, token string) error {
	_, err := guardedUpdate(ctx, a.Client, a.obj(), epoch, func(o client.Object) error {
		u := o.(*unstructured.Unstructured)
		if v, ok := u.GetAnnotations()[failoverv1.RebuildAnnotation]; ok {
			return fmt.Errorf("%s: %w: it was primary when its peer was promoted without a token at epoch %s; re-clone it as a replica, then remove annotation %s",
				a.Name(), ErrRebuildRequired, v, failoverv1.RebuildAnnotation)
		}
		self := a.self(u)
		primary, _, _ := unstructured.NestedString(u.Object, "spec", "replica", "primary")
		if primary != self { // already primary: keep the token that promoted it
			if err := unstructured.SetNestedField(u.Object, self, "spec", "replica", "primary"); err != nil {
				return err
			}
			if token == "" {
				unstructured.RemoveNestedField(u.Object, "spec", "replica", "promotionToken")
			} else if err := unstructured.SetNestedField(u.Object, token, "spec", "replica", "promotionToken"); err != nil {
				return err
			}
		}
		unfence(u)
		setRole(u, RoleActive)
		return nil
	})
	return err
}

// Demote points spec.replica.primary at the peer: the operator demotes
// this Cluster cleanly and publishes status.demotionToken (read it with
// DemotionToken). Use it only while this Cluster is healthy.
func (a *CNPG) Demote(ctx context.Context, epoch uint64) error {
	_, err := guardedUpdate(ctx, a.Client, a.obj(), epoch, func(o client.Object) error {
		u := o.(*unstructured.Unstructured)
		if err := unstructured.SetNestedField(u.Object, a.Peer, "spec", "replica", "primary"); err != nil {
			return err
		}
		unstructured.RemoveNestedField(u.Object, "spec", "replica", "promotionToken")
		setRole(u, RoleStandby)
		return nil
	})
	return err
}

// Deactivate makes this Cluster a replica of the peer. If it was primary
// and had fenced itself, it stepped down without a clean demotion while
// the peer was promoted: it is marked for rebuild and stays fenced, so it
// never resumes as primary. Otherwise it is an orderly Demote.
func (a *CNPG) Deactivate(ctx context.Context, epoch uint64) error {
	_, err := guardedUpdate(ctx, a.Client, a.obj(), epoch, func(o client.Object) error {
		u := o.(*unstructured.Unstructured)
		primary, _, _ := unstructured.NestedString(u.Object, "spec", "replica", "primary")
		if primary == a.self(u) && isFenced(u) {
			ann := u.GetAnnotations()
			ann[failoverv1.RebuildAnnotation] = epochString(epoch)
			u.SetAnnotations(ann)
		}
		if err := unstructured.SetNestedField(u.Object, a.Peer, "spec", "replica", "primary"); err != nil {
			return err
		}
		unstructured.RemoveNestedField(u.Object, "spec", "replica", "promotionToken")
		setRole(u, RoleStandby)
		return nil
	})
	return err
}

// Fence shuts down every instance of this Cluster (cnpg.io/fencedInstances
// ["*"]); spec.replica is left alone, since who the new primary is may not
// be known yet.
func (a *CNPG) Fence(ctx context.Context, epoch uint64) error {
	_, err := guardedUpdate(ctx, a.Client, a.obj(), epoch, func(o client.Object) error {
		ann := o.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[FencedInstancesAnnotation] = `["*"]`
		ann[failoverv1.RoleAnnotation] = string(RoleFenced)
		o.SetAnnotations(ann)
		return nil
	})
	return err
}

// DemotionToken returns status.demotionToken ("" until the operator has
// demoted the Cluster).
func (a *CNPG) DemotionToken(ctx context.Context) (string, error) {
	u := a.obj()
	if err := a.Client.Get(ctx, client.ObjectKeyFromObject(u), u); err != nil {
		return "", fmt.Errorf("%s: read: %w", a.Name(), err)
	}
	t, _, _ := unstructured.NestedString(u.Object, "status", "demotionToken")
	return t, nil
}

// Observe reports whether spec.replica.primary names this Cluster, and
// confirms it once the operator's Ready condition covers the current
// generation.
func (a *CNPG) Observe(ctx context.Context) (Observation, error) {
	u := a.obj()
	if err := a.Client.Get(ctx, client.ObjectKeyFromObject(u), u); err != nil {
		return Observation{}, fmt.Errorf("%s: read: %w", a.Name(), err)
	}
	epoch, err := stampedEpoch(a.Name(), u.GetAnnotations())
	if err != nil {
		return Observation{}, err
	}
	primary, _, _ := unstructured.NestedString(u.Object, "spec", "replica", "primary")
	role := RoleStandby
	switch {
	case isFenced(u):
		role = RoleFenced
	case primary == a.self(u):
		role = RoleActive
	}
	detail := "primary=" + primary
	if v, ok := u.GetAnnotations()[failoverv1.RebuildAnnotation]; ok {
		detail += ", rebuild required since epoch " + v
	}
	return Observation{Role: role, Epoch: epoch, Confirmed: readyForGeneration(u), Detail: detail}, nil
}

// Switchover moves the primary role from one Cluster to the other in the
// documented order: demote from, wait for a fresh status.demotionToken,
// then one patch of to's primary + promotionToken. from and to usually
// live in different Kubernetes clusters (each actuator has its own client).
func Switchover(ctx context.Context, from, to *CNPG, epoch uint64, poll time.Duration) error {
	before, err := from.DemotionToken(ctx)
	if err != nil {
		return err
	}
	u := from.obj()
	if err := from.Client.Get(ctx, client.ObjectKeyFromObject(u), u); err != nil {
		return fmt.Errorf("%s: read: %w", from.Name(), err)
	}
	primary, _, _ := unstructured.NestedString(u.Object, "spec", "replica", "primary")
	alreadyDemoted := primary == from.Peer
	if err := from.Demote(ctx, epoch); err != nil {
		return err
	}
	for {
		token, err := from.DemotionToken(ctx)
		if err != nil {
			return err
		}
		if token != "" && (alreadyDemoted || token != before) {
			return to.Promote(ctx, epoch, token)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: no demotion token published by the CNPG operator before the deadline (is the operator running and the cluster healthy?): %w", from.Name(), ctx.Err())
		case <-time.After(poll):
		}
	}
}

func isFenced(u *unstructured.Unstructured) bool {
	v, ok := u.GetAnnotations()[FencedInstancesAnnotation]
	if !ok {
		return false
	}
	var names []string
	if json.Unmarshal([]byte(v), &names) != nil {
		return true // unreadable: treat as fenced, the safe reading
	}
	return slices.Contains(names, "*")
}

// unfence lifts only our own whole-cluster fencing, never a fencing of
// single instances that an operator set for maintenance.
func unfence(u *unstructured.Unstructured) {
	if !isFenced(u) {
		return
	}
	ann := u.GetAnnotations()
	delete(ann, FencedInstancesAnnotation)
	u.SetAnnotations(ann)
}

func readyForGeneration(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != "Ready" {
			continue
		}
		gen, _ := m["observedGeneration"].(int64)
		return m["status"] == "True" && gen == u.GetGeneration()
	}
	return false
}
