package controller

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
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
	st := fg.Spec.Layers.Stateful
	if st.CNPGSelector == nil {
		return nil, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(st.CNPGSelector)
	if err != nil {
		return nil, fmt.Errorf("FailoverGroup %s/%s: spec.layers.stateful.cnpgSelector: %w", fg.Namespace, fg.Name, err)
	}
	if sel.Empty() {
		return nil, fmt.Errorf("FailoverGroup %s/%s: spec.layers.stateful.cnpgSelector is empty and would select every CNPG Cluster; use matchLabels {%s: %q}",
			fg.Namespace, fg.Name, failoverv1.FollowActiveRegionLabel, failoverv1.FollowActiveRegionValue)
	}
	explicit := map[client.ObjectKey]bool{}
	for _, e := range st.CNPG {
		explicit[client.ObjectKey{Namespace: orDefault(e.Namespace, fg.Namespace), Name: e.Name}] = true
	}
	return &CNPGSelection{reader: reader, write: write, peer: peer, selector: sel, explicit: explicit, tokenWait: tokenWait, log: log,
		acts: map[client.ObjectKey]actuator.Actuator{}, problems: map[client.ObjectKey]string{}}, nil
}

// Resolve lists the selected Clusters and returns the actuators of the
// topology members among them, sorted by namespace and name. Clusters
// also listed in spec.layers.stateful.cnpg are left to that entry.
func (s *CNPGSelection) Resolve(ctx context.Context) ([]actuator.Actuator, error) {
	list := &unstructured.UnstructuredList{}
	list.SetAPIVersion("postgresql.cnpg.io/v1")
	list.SetKind("ClusterList")
	err := s.reader.List(ctx, list, client.MatchingLabelsSelector{Selector: s.selector})
	if apimeta.IsNoMatchError(err) {
		// CNPG is not installed: nothing can be selected, and the other
		// layers must not wait for it.
		s.mu.Lock()
		s.selected = nil
		s.mu.Unlock()
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cnpg selector %s: list CNPG Clusters in every namespace: %w", s.selector, err)
	}
	items := list.Items
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
		if s.explicit[key] {
			continue
		}
		seen[key] = true
		self, peer, err := actuator.CNPGTopology(u)
		entry := failoverv1.SelectedCNPGCluster{Namespace: key.Namespace, Name: key.Name, Self: self, Peer: peer}
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
