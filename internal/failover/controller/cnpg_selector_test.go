package controller

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/testenv"
)

// selectorRegion is a region whose FailoverGroup lists no CNPG Cluster
// and selects them by label instead; the test label keeps the two regions
// (namespaces of one API server) from selecting each other's Clusters.
func selectorRegion(t *testing.T, ns, name, peer, witnessURL, lease string) *region {
	t.Helper()
	apply(t, fmt.Sprintf(`
apiVersion: failover.openova.io/v1alpha1
kind: FailoverGroup
metadata: {name: shop, namespace: %[1]s}
spec:
  region: %[2]s
  peerRegion: %[3]s
  mode: automatic
  witness: {url: %[4]q, leaseName: %[5]s, credentialsSecretRef: {name: witness}}
  timing: {renewInterval: 400ms, ttl: 2s, retryTimeout: 300ms}
  rpo: {maxLagSeconds: 0}
  layers:
    external: {gates: [{gateService: shop-gate}]}
    stateful:
      cnpgSelector:
        matchLabels: {%[6]s: "true", test.openova.io/region: %[1]s}
`, ns, name, peer, witnessURL, lease, failoverv1.FollowActiveRegionLabel))
	return &region{name: name, peer: peer, ns: ns}
}

// requestedCluster is one member of a portal-style topology in a team
// namespace: the Cluster has the same metadata.name in both regions and
// its topology name in spec.replica.self.
func requestedCluster(t *testing.T, teamNS, fgNS, region, peer, primary string) {
	t.Helper()
	apply(t, fmt.Sprintf(`
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: orders
  namespace: %[1]s
  labels: {%[6]s: "true", test.openova.io/region: %[2]s}
spec:
  instances: 2
  storage: {size: 1Gi}
  replica: {primary: orders-%[5]s, self: orders-%[3]s, source: orders-%[4]s}
  externalClusters:
  - {name: orders-%[3]s, connectionParameters: {host: orders-%[3]s.%[1]s.svc, user: streaming_replica}}
  - {name: orders-%[4]s, connectionParameters: {host: orders-%[4]s.%[1]s.svc, user: streaming_replica}}
`, teamNS, fgNS, region, peer, primary, failoverv1.FollowActiveRegionLabel))
}

func primaryOf(t *testing.T, ns, name string) string {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("postgresql.cnpg.io/v1")
	u.SetKind("Cluster")
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatal(err)
	}
	p, _, _ := unstructured.NestedString(u.Object, "spec", "replica", "primary")
	return p
}

// historyMentions: an entry starts with prefix and contains parts.
func historyMentions(fg *failoverv1.FailoverGroup, prefix string, parts ...string) bool {
	for _, h := range fg.Status.History {
		ok := strings.HasPrefix(h.Message, prefix)
		for _, p := range parts {
			ok = ok && strings.Contains(h.Message, p)
		}
		if ok {
			return true
		}
	}
	return false
}

// A requested database created after the FailoverGroups, in a team
// namespace and selected by label, follows the active region: the active
// region makes its member primary on the next resync, the standby points
// its member at the peer, and a switchover demotes one and promotes the
// other, each actuation named in the evidence. A labelled Cluster that is
// not a topology member is reported (status, condition, event, history),
// never actuated.
func TestFailoverGroupCNPGSelector(t *testing.T) {
	url := startWitness(t)
	a := selectorRegion(t, "sel-a", "a", "b", url, "shop-sel")
	b := selectorRegion(t, "sel-b", "b", "a", url, "shop-sel")
	a.run(t, url, "shop-sel")
	a.waitState(t, failoverv1.StateActive)

	// Rendered with region b first, as if b had been the instance's
	// primary region: region a, now active, must take the primary role.
	requestedCluster(t, "team-sel-a", "sel-a", "a", "b", "b")
	apply(t, fmt.Sprintf(`
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: legacy
  namespace: team-sel-a
  labels: {%s: "true", test.openova.io/region: sel-a}
spec:
  instances: 1
  storage: {size: 1Gi}
  replica: {enabled: true, source: legacy-origin}
  externalClusters: [{name: legacy-origin, connectionParameters: {host: origin}}]
`, failoverv1.FollowActiveRegionLabel))

	waitFor(t, "region a's requested member promoted by the resync", func() bool { return primaryOf(t, "team-sel-a", "orders") == "orders-a" })
	waitFor(t, "the selection and the problem in status", func() bool {
		fg := a.group(t)
		c := apimeta.FindStatusCondition(fg.Status.Conditions, ConditionDegraded)
		return len(fg.Status.SelectedCNPG) == 2 && c != nil && c.Status == metav1.ConditionTrue &&
			historyMentions(fg, "activate cnpg team-sel-a/orders", "done") && historyMentions(fg, "cnpg team-sel-a/legacy", "not actuated")
	})
	fg := a.group(t)
	got := fg.Status.SelectedCNPG
	if got[0].Name != "legacy" || !strings.Contains(got[0].Problem, "spec.replica.enabled") ||
		got[1].Name != "orders" || got[1].Self != "orders-a" || got[1].Peer != "orders-b" || got[1].Problem != "" {
		t.Fatalf("status.selectedCNPG = %+v", got)
	}
	if c := apimeta.FindStatusCondition(fg.Status.Conditions, ConditionDegraded); !strings.Contains(c.Message, "team-sel-a/legacy") {
		t.Fatalf("Degraded condition does not name the Cluster: %s", c.Message)
	}
	var evs corev1.EventList
	if err := env.Client.List(context.Background(), &evs, client.InNamespace("sel-a")); err != nil {
		t.Fatal(err)
	}
	warned := false
	for _, e := range evs.Items {
		warned = warned || (e.Reason == ReasonClusterNotInTopology && strings.Contains(e.Message, "team-sel-a/legacy"))
	}
	if !warned {
		t.Error("no ClusterNotInTopology event names team-sel-a/legacy")
	}
	if p := primaryOf(t, "team-sel-a", "legacy"); p != "" {
		t.Errorf("the malformed Cluster was actuated: spec.replica.primary = %q", p)
	}

	b.run(t, url, "shop-sel")
	b.waitState(t, failoverv1.StateStandby)
	// Region b's member appears while b stands by (rendered alike, so it
	// claims to be primary): the resync points it at a's member. (Had it
	// existed when b's controller started, b would have fenced it and
	// marked it for rebuild, as any Cluster found primary in a region
	// starting as standby.)
	requestedCluster(t, "team-sel-b", "sel-b", "b", "a", "b")
	waitFor(t, "region b's member points at a", func() bool { return primaryOf(t, "team-sel-b", "orders") == "orders-a" })

	// Another team's member in b was primary once and is marked for
	// rebuild: it must never be promoted, and it must not hold b's takeover.
	apply(t, fmt.Sprintf(`
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: ledger
  namespace: team-sel-b
  labels: {%s: "true", test.openova.io/region: sel-b}
  annotations: {failover.openova.io/rebuild-required: "1"}
spec:
  instances: 1
  storage: {size: 1Gi}
  replica: {primary: ledger-a, self: ledger-b, source: ledger-a}
  externalClusters:
  - {name: ledger-a, connectionParameters: {host: ledger-a}}
  - {name: ledger-b, connectionParameters: {host: ledger-b}}
`, failoverv1.FollowActiveRegionLabel))

	a.updateSpec(t, func(fg *failoverv1.FailoverGroup) {
		fg.Spec.Switchover = &failoverv1.SwitchoverRequest{ID: "drill-sel", Target: "b", By: "alice@bank.example"}
	})
	fgb := b.waitState(t, failoverv1.StateActive)
	a.waitState(t, failoverv1.StateStandby)
	if pa, pb := primaryOf(t, "team-sel-a", "orders"), primaryOf(t, "team-sel-b", "orders"); pa != "orders-b" || pb != "orders-b" {
		t.Fatalf("after the switchover a's member says primary %q, b's %q; want orders-b in both", pa, pb)
	}
	waitFor(t, "the switchover's actuations named in both regions' evidence", func() bool {
		fgb = b.group(t)
		return historyMentions(a.group(t), "deactivate cnpg team-sel-a/orders", "done") && historyMentions(fgb, "activate cnpg team-sel-b/orders", "done")
	})
	if p := primaryOf(t, "team-sel-b", "ledger"); p != "ledger-a" {
		t.Fatalf("a Cluster marked for rebuild was promoted: spec.replica.primary = %q", p)
	}
	time.Sleep(time.Second) // a few resyncs, each retrying the refused Cluster
	n := 0
	for _, h := range b.group(t).Status.History {
		if strings.HasPrefix(h.Message, "activate cnpg team-sel-b/ledger: failing") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the refused activation of team-sel-b/ledger is in b's history %d times, want once", n)
	}
}

// Without the CNPG CRD (CNPG not installed) a selector selects nothing
// instead of failing every actuation: the other layers must not wait for
// it. A second API server whose CNPG CRD the test deletes.
func TestCNPGSelectionWithoutCNPG(t *testing.T) {
	ctx := context.Background()
	other, stop, err := testenv.StartSecond()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	crd := &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: "clusters.postgresql.cnpg.io"}}
	if err := other.Client.Delete(ctx, crd); err != nil {
		t.Fatal(err)
	}
	fg := &failoverv1.FailoverGroup{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "default"}}
	fg.Spec.Layers.Stateful.CNPGSelector = &metav1.LabelSelector{MatchLabels: map[string]string{failoverv1.FollowActiveRegionLabel: "true"}}
	// Wait until the API server no longer serves the kind (a plain list
	// then fails with no match), then resolve through that client.
	var c client.Client
	for deadline := time.Now().Add(20 * time.Second); ; {
		if c, err = client.New(other.Config, client.Options{Scheme: other.Scheme}); err != nil {
			t.Fatal(err)
		}
		list := &unstructured.UnstructuredList{}
		list.SetAPIVersion("postgresql.cnpg.io/v1")
		list.SetKind("ClusterList")
		if err := c.List(ctx, list); apimeta.IsNoMatchError(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the CNPG kind is still served 20 s after its CRD was deleted")
		}
		time.Sleep(200 * time.Millisecond)
	}
	sel, err := NewCNPGSelection(c, c, nil, fg, time.Second, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if acts, err := sel.Resolve(ctx); err != nil || len(acts) != 0 || len(sel.Selected()) != 0 {
		t.Fatalf("Resolve without the CNPG CRD: %d actuators, %v; want none and no error", len(acts), err)
	}
}

// A changed spec.layers.stateful.cnpgSelector takes effect in the running
// controller, no restart: the Cluster it newly selects is made primary in
// the active region and shown in status.selectedCNPG with its state
// relative to the group (role, epoch, converged, last error); a Cluster
// that cannot be activated shows why; one the selector no longer matches
// leaves the status.
func TestCNPGSelectorChangeWithoutRestart(t *testing.T) {
	url := startWitness(t)
	a := selectorRegion(t, "upd-a", "a", "b", url, "shop-upd")
	a.run(t, url, "shop-upd")
	a.waitState(t, failoverv1.StateActive)
	apply(t, `
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: orders
  namespace: team-upd
  labels: {tier: gold, test.openova.io/region: upd-a}
spec:
  instances: 1
  storage: {size: 1Gi}
  replica: {primary: orders-b, self: orders-a, source: orders-b}
  externalClusters:
  - {name: orders-a, connectionParameters: {host: orders-a}}
  - {name: orders-b, connectionParameters: {host: orders-b}}
`)
	apply(t, `
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: ledger
  namespace: team-upd
  labels: {tier: gold, test.openova.io/region: upd-a}
  annotations: {failover.openova.io/rebuild-required: "1"}
spec:
  instances: 1
  storage: {size: 1Gi}
  replica: {primary: ledger-b, self: ledger-a, source: ledger-b}
  externalClusters:
  - {name: ledger-a, connectionParameters: {host: ledger-a}}
  - {name: ledger-b, connectionParameters: {host: ledger-b}}
`)
	time.Sleep(time.Second) // resyncs and Cluster events: the old selector does not match them
	if p := primaryOf(t, "team-upd", "orders"); p != "orders-b" || len(a.group(t).Status.SelectedCNPG) != 0 {
		t.Fatalf("an unselected Cluster was actuated (primary %q) or listed", p)
	}

	a.updateSpec(t, func(fg *failoverv1.FailoverGroup) {
		fg.Spec.Layers.Stateful.CNPGSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"tier": "gold", "test.openova.io/region": "upd-a"}}
	})
	waitFor(t, "the newly selected Cluster promoted by the running controller", func() bool { return primaryOf(t, "team-upd", "orders") == "orders-a" })
	var got []failoverv1.SelectedCNPGCluster
	waitFor(t, "both Clusters' state in status.selectedCNPG", func() bool {
		got = a.group(t).Status.SelectedCNPG
		return len(got) == 2 && got[1].Converged && got[0].LastError != ""
	})
	ledger, orders := got[0], got[1]
	if orders.Name != "orders" || orders.Role != failoverv1.CNPGRolePrimary || orders.Primary != "orders-a" || orders.Epoch != 1 || orders.LastError != "" {
		t.Errorf("orders: %+v; want primary here, converged, epoch 1, no error", orders)
	}
	if ledger.Name != "ledger" || ledger.Role != failoverv1.CNPGRoleRebuildRequired || ledger.Converged ||
		!strings.Contains(ledger.LastError, "rebuild") || !strings.Contains(ledger.LastError, "activate at epoch 1") {
		t.Errorf("ledger: %+v; want RebuildRequired, not converged, the refused activation as last error", ledger)
	}

	// Deselected by label: it leaves the status, untouched.
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("postgresql.cnpg.io/v1")
	u.SetKind("Cluster")
	if err := env.Client.Get(context.Background(), client.ObjectKey{Namespace: "team-upd", Name: "ledger"}, u); err != nil {
		t.Fatal(err)
	}
	u.SetLabels(map[string]string{"test.openova.io/region": "upd-a"})
	if err := env.Client.Update(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the deselected Cluster gone from status.selectedCNPG", func() bool {
		got = a.group(t).Status.SelectedCNPG
		return len(got) == 1 && got[0].Name == "orders"
	})
}
