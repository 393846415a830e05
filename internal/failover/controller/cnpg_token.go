package controller

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/openova-io/openova/internal/failover/actuator"
)

// tokenCNPG carries CNPG's demotion token across the two clusters for a
// planned switchover. It reads the peer's Cluster through a client for the
// peer's API server (--peer-kubeconfig):
//
//   - the peer's spec.replica.primary names this Cluster: the peer demoted
//     in order (its controller ran Deactivate in a switchover). Promote with
//     its status.demotionToken once the operator published it for the
//     demotion's generation, so CNPG replays WAL up to the demotion LSN
//     before promoting: no data lost.
//   - otherwise (the peer is gone, fenced, or still names itself): an
//     unplanned promotion without a token, as without a peer client.
//
// A peer that demoted but never publishes a token (it died right after)
// would hold the takeover forever; after tokenWait the promotion goes ahead
// without a token, with a warning.
type tokenCNPG struct {
	*actuator.CNPG
	peer      client.Client // the peer region's API server, read only
	tokenWait time.Duration
	log       *slog.Logger
	now       func() time.Time

	mu      sync.Mutex
	waiting map[uint64]time.Time // epoch → first wait for a token
}

func newTokenCNPG(local *actuator.CNPG, peer client.Client, tokenWait time.Duration, log *slog.Logger) *tokenCNPG {
	return &tokenCNPG{CNPG: local, peer: peer, tokenWait: tokenWait, log: log, now: time.Now, waiting: map[uint64]time.Time{}}
}

func (a *tokenCNPG) Activate(ctx context.Context, epoch uint64) error {
	token, planned, err := a.peerToken(ctx)
	switch {
	case err != nil:
		a.log.Warn("peer CNPG Cluster unreadable; promoting without a token", "actuator", a.Name(), "epoch", epoch, "error", err)
	case planned && token == "":
		a.mu.Lock()
		first, ok := a.waiting[epoch]
		if !ok {
			first = a.now()
			a.waiting[epoch] = first
		}
		a.mu.Unlock()
		if a.now().Sub(first) < a.tokenWait {
			return fmt.Errorf("%s: the peer demoted in order; waiting for its status.demotionToken (CNPG operator in the peer cluster)", a.Name())
		}
		a.log.Warn("no demotion token from the peer in time; promoting without a token (transactions after the last replicated LSN may be missing)",
			"actuator", a.Name(), "epoch", epoch, "waited", a.tokenWait)
	case planned:
		a.log.Info("planned promotion with the peer's demotion token", "actuator", a.Name(), "epoch", epoch)
		return a.Promote(ctx, epoch, token)
	}
	return a.Promote(ctx, epoch, "")
}

// peerToken reads the peer Cluster: planned is true when it names this
// Cluster as primary; token is its demotion token once the operator has
// reconciled that generation.
func (a *tokenCNPG) peerToken(ctx context.Context) (token string, planned bool, err error) {
	local := cnpgObject(a.Namespace, a.Clus)
	if err := a.Client.Get(ctx, client.ObjectKeyFromObject(local), local); err != nil {
		return "", false, fmt.Errorf("%s: read: %w", a.Name(), err)
	}
	u, err := a.findPeer(ctx)
	if err != nil {
		return "", false, err
	}
	primary, _, _ := unstructured.NestedString(u.Object, "spec", "replica", "primary")
	if primary != actuator.TopologyName(local) {
		return "", false, nil
	}
	if !reconciled(u) {
		return "", true, nil
	}
	token, _, _ = unstructured.NestedString(u.Object, "status", "demotionToken")
	return token, true, nil
}

// findPeer finds the peer member in the peer's API server, in this
// Cluster's namespace: under this Cluster's metadata.name (the generator
// names both members alike and tells them apart with spec.replica.self),
// else under the peer's topology name; either must carry that topology
// name.
func (a *tokenCNPG) findPeer(ctx context.Context) (*unstructured.Unstructured, error) {
	for _, name := range []string{a.Clus, a.Peer} {
		u := cnpgObject(a.Namespace, name)
		err := a.peer.Get(ctx, client.ObjectKeyFromObject(u), u)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read peer Cluster %s/%s: %w", a.Namespace, name, err)
		}
		if actuator.TopologyName(u) == a.Peer {
			return u, nil
		}
	}
	return nil, fmt.Errorf("peer API server: no Cluster %s/%s or %s/%s with topology name %q", a.Namespace, a.Clus, a.Namespace, a.Peer, a.Peer)
}

func cnpgObject(namespace, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("postgresql.cnpg.io/v1")
	u.SetKind("Cluster")
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

// reconciled: the operator's Ready condition covers the current
// generation, so a published token belongs to this demotion, not an
// older one.
func reconciled(u *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != "Ready" {
			continue
		}
		gen, _ := m["observedGeneration"].(int64)
		return gen == u.GetGeneration()
	}
	return false
}
