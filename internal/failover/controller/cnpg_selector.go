package controller

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"sync"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/actuator"
)

// CNPGSelection resolves spec.layers.stateful.cnpgSelector into CNPG
// actuators. It lists the selected Clusters in every namespace at each
// resolution (each actuation and each resync), through an uncached
// reader, so a Cluster created after the FailoverGroup follows from the
// next one on. Each actuator carries the same epoch guard as a listed
// Cluster's; a Cluster that is not a two-member topology member is
// reported (once per problem) and never actuated.
type CNPGSelection struct {
	reader    client.Reader // uncached
	write     client.Client
	peer      client.Client // the peer's API server; nil: none
	selector  labels.Selector
	explicit  map[client.ObjectKey]bool
	tokenWait time.Duration
	log       *slog.Logger
	// Problem hears a Cluster that newly cannot be actuated, or whose
	// reason changed.
	Problem func(cluster, problem string)

	mu       sync.Mutex
	acts     map[client.ObjectKey]actuator.Actuator // kept: the token wait lives in them
	selected []failoverv1.SelectedCNPGCluster
	problems map[client.ObjectKey]string
}

// NewCNPGSelection returns the selection of fg, or nil when fg has no
// selector.
func NewCNPGSelection(reader client.Reader, write, peer client.Client, fg *failoverv1.FailoverGroup, tokenWait time.Duration, log *slog.Logger) (*CNPGSelection, error) {
	if fg.Spec.Layers.Stateful.CNPGSelector == nil {
		return nil, nil
	}
	s := newCNPGSelection(reader, write, peer, tokenWait, log)
	if _, err := s.Update(fg); err != nil {
		return nil, err
	}
	return s, nil
}

// newCNPGSelection selects nothing until Update gives it a selector.
func newCNPGSelection(reader client.Reader, write, peer client.Client, tokenWait time.Duration, log *slog.Logger) *CNPGSelection {
	return &CNPGSelection{reader: reader, write: write, peer: peer, tokenWait: tokenWait, log: log,
		acts: map[client.ObjectKey]actuator.Actuator{}, problems: map[client.ObjectKey]string{}}
}

// Update takes fg's selector, so a changed selector applies from the
// next resolution without a restart; it reports whether it changed, and
// refuses an invalid one (the previous stays). The Clusters listed in
// spec.layers.stateful.cnpg, which the selector leaves to their entries,
// are those of the first Update: their actuators are built at start.
func (s *CNPGSelection) Update(fg *failoverv1.FailoverGroup) (bool, error) {
	st := fg.Spec.Layers.Stateful
	var sel labels.Selector
	if st.CNPGSelector != nil {
		var err error
		if sel, err = metav1.LabelSelectorAsSelector(st.CNPGSelector); err != nil {
			return false, fmt.Errorf("FailoverGroup %s/%s: spec.layers.stateful.cnpgSelector: %w", fg.Namespace, fg.Name, err)
		}
		if sel.Empty() {
			return false, fmt.Errorf("FailoverGroup %s/%s: spec.layers.stateful.cnpgSelector is empty and would select every CNPG Cluster; use matchLabels {%s: %q}",
				fg.Namespace, fg.Name, failoverv1.FollowActiveRegionLabel, failoverv1.FollowActiveRegionValue)
		}
	}
	explicit := map[client.ObjectKey]bool{}
	for _, e := range st.CNPG {
		explicit[client.ObjectKey{Namespace: orDefault(e.Namespace, fg.Namespace), Name: e.Name}] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := selectorString(s.selector) != selectorString(sel)
	s.selector = sel
	if s.explicit == nil {
		s.explicit = explicit
	}
	return changed, nil
}

func selectorString(s labels.Selector) string {
	if s == nil {
		return ""
	}
	return s.String()
}

// Resolve lists the selected Clusters and returns the actuators of the
// topology members among them, sorted by namespace and name. Clusters
// also listed in spec.layers.stateful.cnpg are left to that entry.
func (s *CNPGSelection) Resolve(ctx context.Context) ([]actuator.Actuator, error) {
	s.mu.Lock()
	selector, explicit := s.selector, s.explicit
	s.mu.Unlock()
	var items []unstructured.Unstructured
	if selector != nil {
		list := &unstructured.UnstructuredList{}
		list.SetAPIVersion("postgresql.cnpg.io/v1")
		list.SetKind("ClusterList")
		err := s.reader.List(ctx, list, client.MatchingLabelsSelector{Selector: selector})
		// CNPG not installed: nothing can be selected, and the other
		// layers must not wait for it.
		if err != nil && !apimeta.IsNoMatchError(err) {
			return nil, fmt.Errorf("cnpg selector %s: list CNPG Clusters in every namespace: %w", selector, err)
		}
		items = list.Items
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].GetNamespace() != items[j].GetNamespace() {
			return items[i].GetNamespace() < items[j].GetNamespace()
		}
		return items[i].GetName() < items[j].GetName()
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	var acts []actuator.Actuator
	var selected []failoverv1.SelectedCNPGCluster
	seen := map[client.ObjectKey]bool{}
	for i := range items {
		u := &items[i]
		key := client.ObjectKeyFromObject(u)
		if explicit[key] {
			continue
		}
		seen[key] = true
		self, peer, err := actuator.CNPGTopology(u)
		entry := failoverv1.SelectedCNPGCluster{Namespace: key.Namespace, Name: key.Name, Self: self, Peer: peer}
		entry.Primary, entry.Role, entry.Epoch = cnpgRole(u, self, peer)
		if err != nil {
			entry.Problem = err.Error()
			selected = append(selected, entry)
			if s.problems[key] != entry.Problem {
				s.problems[key] = entry.Problem
				if s.Problem != nil {
					s.Problem("cnpg "+key.String(), entry.Problem)
				}
			}
			delete(s.acts, key)
			continue
		}
		delete(s.problems, key)
		selected = append(selected, entry)
		acts = append(acts, s.actuator(key, peer))
	}
	for key := range s.acts {
		if !seen[key] {
			delete(s.acts, key)
		}
	}
	for key := range s.problems {
		if !seen[key] {
			delete(s.problems, key)
		}
	}
	s.selected = selected
	return acts, nil
}

// actuator keeps one actuator per Cluster while its peer stays the same.
func (s *CNPGSelection) actuator(key client.ObjectKey, peer string) actuator.Actuator {
	if a, ok := s.acts[key]; ok && cnpgOf(a).Peer == peer {
		return a
	}
	local := &actuator.CNPG{Client: s.write, Namespace: key.Namespace, Clus: key.Name, Peer: peer}
	var a actuator.Actuator = local
	if s.peer != nil {
		a = newTokenCNPG(local, s.peer, s.tokenWait, s.log)
	}
	s.acts[key] = a
	return a
}

func cnpgOf(a actuator.Actuator) *actuator.CNPG {
	if t, ok := a.(*tokenCNPG); ok {
		return t.CNPG
	}
	return a.(*actuator.CNPG)
}

// Selected is what the last resolution found, for status.selectedCNPG.
func (s *CNPGSelection) Selected() []failoverv1.SelectedCNPGCluster {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]failoverv1.SelectedCNPGCluster(nil), s.selected...)
}

// members are the actuated Clusters of the last resolution.
func (s *CNPGSelection) members() []client.ObjectKey {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []client.ObjectKey
	for _, e := range s.selected {
		if e.Problem == "" {
			out = append(out, client.ObjectKey{Namespace: e.Namespace, Name: e.Name})
		}
	}
	return out
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// cnpgRole is what a selected Cluster is told to be, by its spec and the
// annotations the actuator and CNPG read: fencing and a rebuild mark
// outrank spec.replica.primary.
func cnpgRole(u *unstructured.Unstructured, self, peer string) (string, failoverv1.CNPGRole, int64) {
	primary, _, _ := unstructured.NestedString(u.Object, "spec", "replica", "primary")
	ann := u.GetAnnotations()
	epoch, _ := strconv.ParseInt(ann[failoverv1.EpochAnnotation], 10, 64)
	role := failoverv1.CNPGRoleUnknown
	switch {
	case ann[failoverv1.RebuildAnnotation] != "":
		role = failoverv1.CNPGRoleRebuildRequired
	case ann[actuator.FencedInstancesAnnotation] != "" && ann[actuator.FencedInstancesAnnotation] != "[]":
		role = failoverv1.CNPGRoleFenced
	case self != "" && primary == self:
		role = failoverv1.CNPGRolePrimary
	case peer != "" && primary == peer:
		role = failoverv1.CNPGRoleReplica
	}
	return primary, role, epoch
}
