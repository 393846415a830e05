package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/actuator"
)

// ValkeyAddress is where a Service's Valkey is reached, by the controller
// and (in REPLICAOF) by the peer's Valkey: cluster DNS, which a Cilium
// global Service resolves to the other region's pod for the peer's name.
type ValkeyAddress func(namespace, service string, port int32) string

// ClusterDNS is the ValkeyAddress of a cluster: <service>.<namespace>.svc.
func ClusterDNS(namespace, service string, port int32) string {
	return fmt.Sprintf("%s.%s.svc:%d", service, namespace, port)
}

// ValkeySelection resolves spec.layers.stateful.valkeySelector into Valkey
// actuators: the Services it matches in every namespace, listed at each
// resolution (from the controller's cache: Services are watched anyway,
// and a resolution precedes every fence), each naming its peer Service and
// its password Secret. A Secret is read (uncached: the controller may get
// only the Secrets it is granted, never list them) when an instance is
// first selected, when what its Service names changes, and after Valkey
// refused the password, so a resolution costs no request per instance.
type ValkeySelection struct {
	services client.Reader // Services; the cache in the controller
	secrets  client.Reader // uncached: get of the named Secrets
	address  ValkeyAddress
	log      *slog.Logger
	// Problem hears an instance that newly cannot be actuated, or whose
	// reason changed.
	Problem func(instance, problem string)

	mu       sync.Mutex
	selector labels.Selector
	acts     map[client.ObjectKey]*selectedValkey
	selected []failoverv1.SelectedValkey
	problems map[client.ObjectKey]string
}

// NewValkeySelection returns the selection of fg's valkeySelector
// (selecting nothing without one); address nil is ClusterDNS.
func NewValkeySelection(services, secrets client.Reader, address ValkeyAddress, fg *failoverv1.FailoverGroup, log *slog.Logger) (*ValkeySelection, error) {
	s := newValkeySelection(services, secrets, address, log)
	if _, err := s.Update(fg); err != nil {
		return nil, err
	}
	return s, nil
}

func newValkeySelection(services, secrets client.Reader, address ValkeyAddress, log *slog.Logger) *ValkeySelection {
	if address == nil {
		address = ClusterDNS
	}
	return &ValkeySelection{services: services, secrets: secrets, address: address, log: log,
		acts: map[client.ObjectKey]*selectedValkey{}, problems: map[client.ObjectKey]string{}}
}

// Update takes fg's selector (nil: select nothing), so a change applies
// from the next resolution without a restart; it reports whether it
// changed, and refuses an invalid one (the previous stays).
func (s *ValkeySelection) Update(fg *failoverv1.FailoverGroup) (bool, error) {
	var sel labels.Selector
	if ls := fg.Spec.Layers.Stateful.ValkeySelector; ls != nil {
		var err error
		if sel, err = metav1.LabelSelectorAsSelector(ls); err != nil {
			return false, fmt.Errorf("FailoverGroup %s/%s: spec.layers.stateful.valkeySelector: %w", fg.Namespace, fg.Name, err)
		}
		if sel.Empty() {
			return false, fmt.Errorf("FailoverGroup %s/%s: spec.layers.stateful.valkeySelector is empty and would select every Service; use matchLabels {%s: %q}",
				fg.Namespace, fg.Name, failoverv1.FollowActiveRegionLabel, failoverv1.FollowActiveRegionValue)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := selectorString(s.selector) != selectorString(sel)
	s.selector = sel
	return changed, nil
}

// Matches reports whether the current selector matches obj's labels (a
// Service event worth resolving again for).
func (s *ValkeySelection) Matches(obj client.Object) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.selector != nil && s.selector.Matches(labels.Set(obj.GetLabels()))
}

// Resolve lists the selected Services and returns the actuators of the
// well-formed ones, sorted by namespace and name. An instance whose
// Service or Secret is wrong is reported, not actuated; an instance whose
// Secret cannot be read for a passing reason keeps its actuator.
func (s *ValkeySelection) Resolve(ctx context.Context) ([]actuator.Actuator, error) {
	s.mu.Lock()
	selector := s.selector
	s.mu.Unlock()
	var items []corev1.Service
	if selector != nil {
		var list corev1.ServiceList
		if err := s.services.List(ctx, &list, client.MatchingLabelsSelector{Selector: selector}); err != nil {
			return nil, fmt.Errorf("valkey selector %s: list Services in every namespace: %w", selector, err)
		}
		items = list.Items
	}
	sort.Slice(items, func(i, j int) bool {
		if items[i].Namespace != items[j].Namespace {
			return items[i].Namespace < items[j].Namespace
		}
		return items[i].Name < items[j].Name
	})
	type found struct {
		entry failoverv1.SelectedValkey
		cfg   valkeyConfig
		keep  bool // the Secret could not be read for now: keep the actuator
	}
	// What the current actuators were built from: their passwords are
	// reused unless Valkey refused one.
	s.mu.Lock()
	known := map[client.ObjectKey]valkeyConfig{}
	for key, a := range s.acts {
		if !a.authFailed.Load() {
			known[key] = a.cfg
		}
	}
	s.mu.Unlock()
	var all []found
	for i := range items {
		entry, cfg, err := s.read(ctx, &items[i], known[client.ObjectKeyFromObject(&items[i])])
		f := found{entry: entry, cfg: cfg}
		if err != nil {
			var transient *transientError
			if errors.As(err, &transient) {
				f.keep = true
				s.log.Warn("valkey selector: keeping the instance's actuator", "service", entry.Namespace+"/"+entry.Name, "error", err)
			} else {
				f.entry.Problem = err.Error()
			}
		}
		all = append(all, f)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	var acts []actuator.Actuator
	var selected []failoverv1.SelectedValkey
	seen := map[client.ObjectKey]bool{}
	for _, f := range all {
		key := client.ObjectKey{Namespace: f.entry.Namespace, Name: f.entry.Name}
		seen[key] = true
		if f.entry.Problem != "" {
			if s.problems[key] != f.entry.Problem {
				s.problems[key] = f.entry.Problem
				if s.Problem != nil {
					s.Problem("valkey "+key.String(), f.entry.Problem)
				}
			}
			s.retire(key)
			selected = append(selected, f.entry)
			continue
		}
		delete(s.problems, key)
		a := s.acts[key]
		switch {
		case f.keep && a == nil:
			f.entry.Problem = "its Secret could not be read yet; retried at the next resolution"
			selected = append(selected, f.entry)
			continue
		case f.keep:
			f.entry.Address, f.entry.PeerAddress = a.cfg.address, a.cfg.peer
		case a == nil || a.cfg != f.cfg:
			s.retire(key)
			v := actuator.NewValkey(f.cfg.address, f.cfg.peer, f.cfg.password)
			v.Label = key.String()
			a = &selectedValkey{v: v, cfg: f.cfg}
			s.acts[key] = a
		}
		selected = append(selected, f.entry)
		acts = append(acts, a)
	}
	for key := range s.acts {
		if !seen[key] {
			s.retire(key)
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

// valkeyConfig is what an actuator is built from; a change builds a new one.
type valkeyConfig struct{ address, peer, secret, password string }

// transientError: the Secret could not be read for a reason that may pass
// (the API server, a timeout), unlike a missing Secret or a refusal.
type transientError struct{ err error }

func (e *transientError) Error() string { return e.err.Error() }
func (e *transientError) Unwrap() error { return e.err }

// read checks one selected Service and reads what its actuator needs. The
// password never appears in errors.
func (s *ValkeySelection) read(ctx context.Context, svc *corev1.Service, known valkeyConfig) (failoverv1.SelectedValkey, valkeyConfig, error) {
	e := failoverv1.SelectedValkey{Namespace: svc.Namespace, Name: svc.Name}
	ann := svc.Annotations
	e.PeerService = ann[failoverv1.ValkeyPeerServiceAnnotation]
	secret := ann[failoverv1.ValkeySecretAnnotation]
	switch {
	case e.PeerService == "":
		return e, valkeyConfig{}, fmt.Errorf("annotation %s is missing: name the peer region's Service of this Valkey (same namespace)", failoverv1.ValkeyPeerServiceAnnotation)
	case e.PeerService == svc.Name:
		return e, valkeyConfig{}, fmt.Errorf("annotation %s names the Service itself; name the peer region's Service", failoverv1.ValkeyPeerServiceAnnotation)
	case secret == "":
		return e, valkeyConfig{}, fmt.Errorf("annotation %s is missing: name the Secret whose key %q is the default user's password", failoverv1.ValkeySecretAnnotation, failoverv1.ValkeySecretKey)
	case len(svc.Spec.Ports) == 0:
		return e, valkeyConfig{}, fmt.Errorf("the Service has no port")
	}
	var peer corev1.Service
	if err := s.services.Get(ctx, client.ObjectKey{Namespace: svc.Namespace, Name: e.PeerService}, &peer); err != nil {
		if apierrors.IsNotFound(err) {
			return e, valkeyConfig{}, fmt.Errorf("peer Service %s/%s does not exist in this cluster: the peer region's Valkey is reached through a Cilium global Service of that name here", svc.Namespace, e.PeerService)
		}
		return e, valkeyConfig{}, &transientError{fmt.Errorf("read peer Service %s/%s: %w", svc.Namespace, e.PeerService, err)}
	}
	if len(peer.Spec.Ports) == 0 {
		return e, valkeyConfig{}, fmt.Errorf("peer Service %s/%s has no port", svc.Namespace, e.PeerService)
	}
	e.Address = s.address(svc.Namespace, svc.Name, svc.Spec.Ports[0].Port)
	e.PeerAddress = s.address(svc.Namespace, e.PeerService, peer.Spec.Ports[0].Port)
	cfg := valkeyConfig{address: e.Address, peer: e.PeerAddress, secret: secret}
	if known.password != "" && known.address == cfg.address && known.peer == cfg.peer && known.secret == secret {
		return e, known, nil
	}
	var sec corev1.Secret
	if err := s.secrets.Get(ctx, client.ObjectKey{Namespace: svc.Namespace, Name: secret}, &sec); err != nil {
		switch {
		case apierrors.IsNotFound(err):
			return e, valkeyConfig{}, fmt.Errorf("Secret %s/%s does not exist (yet)", svc.Namespace, secret)
		case apierrors.IsForbidden(err):
			return e, valkeyConfig{}, fmt.Errorf("the controller may not read Secret %s/%s: grant its ServiceAccount get on that Secret by name (a Role and RoleBinding in %s; the portal renders them)", svc.Namespace, secret, svc.Namespace)
		}
		return e, valkeyConfig{}, &transientError{fmt.Errorf("read Secret %s/%s: %w", svc.Namespace, secret, err)}
	}
	pw, ok := sec.Data[failoverv1.ValkeySecretKey]
	if !ok {
		return e, valkeyConfig{}, fmt.Errorf("Secret %s/%s has no key %q (the default user's password)", svc.Namespace, secret, failoverv1.ValkeySecretKey)
	}
	cfg.password = string(pw)
	return e, cfg, nil
}

// retire drops key's actuator and closes its connections once no call is
// in flight; the caller holds s.mu.
func (s *ValkeySelection) retire(key client.ObjectKey) {
	if a, ok := s.acts[key]; ok {
		delete(s.acts, key)
		go a.retire()
	}
}

// Selected is what the last resolution found, for status.selectedValkey.
func (s *ValkeySelection) Selected() []failoverv1.SelectedValkey {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]failoverv1.SelectedValkey(nil), s.selected...)
}

// Observe returns Selected with each actuated instance's role and stamped
// epoch read from Valkey itself (a few at a time, each bounded by
// timeout), for the status; an unreachable instance is Unknown with the
// reason.
func (s *ValkeySelection) Observe(ctx context.Context, timeout time.Duration) []failoverv1.SelectedValkey {
	s.mu.Lock()
	out := append([]failoverv1.SelectedValkey(nil), s.selected...)
	acts := make([]*selectedValkey, len(out))
	for i, e := range out {
		if e.Problem == "" {
			acts[i] = s.acts[client.ObjectKey{Namespace: e.Namespace, Name: e.Name}]
		}
	}
	s.mu.Unlock()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for i, a := range acts {
		if a == nil {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			e := &out[i]
			e.Role = failoverv1.ValkeyRoleUnknown
			octx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			st, err := a.state(octx)
			if err != nil {
				e.ObserveError = truncate(err.Error(), 1024)
				return
			}
			e.Epoch = int64(st.Epoch)
			e.Role, e.ReplicaOf = failoverv1.ValkeyRolePrimary, st.ReplicaOf
			if !st.Primary {
				e.Role = failoverv1.ValkeyRoleReplica
			}
		}()
	}
	wg.Wait()
	return out
}

// selectedValkey is a selected instance's actuator. Once retired (the
// Service deselected, or its address or password changed), calls still
// in the runner's hands do nothing: the instance is no longer this
// actuator's to move, and its connections are closed.
type selectedValkey struct {
	v   *actuator.Valkey
	cfg valkeyConfig
	// authFailed: Valkey refused the password; the next resolution reads
	// the Secret again.
	authFailed atomic.Bool

	mu      sync.RWMutex
	retired bool
}

func (a *selectedValkey) Name() string { return a.v.Name() }

func (a *selectedValkey) do(f func() error) error {
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.retired {
		return nil
	}
	err := f()
	if err != nil && (strings.Contains(err.Error(), "WRONGPASS") || strings.Contains(err.Error(), "NOAUTH")) {
		a.authFailed.Store(true)
	}
	return err
}

func (a *selectedValkey) Activate(ctx context.Context, epoch uint64) error {
	return a.do(func() error { return a.v.Activate(ctx, epoch) })
}

func (a *selectedValkey) Deactivate(ctx context.Context, epoch uint64) error {
	return a.do(func() error { return a.v.Deactivate(ctx, epoch) })
}

func (a *selectedValkey) Fence(ctx context.Context, epoch uint64) error {
	return a.do(func() error { return a.v.Fence(ctx, epoch) })
}

func (a *selectedValkey) Observe(ctx context.Context) (obs actuator.Observation, err error) {
	err = a.do(func() (err error) { obs, err = a.v.Observe(ctx); return err })
	return obs, err
}

func (a *selectedValkey) state(ctx context.Context) (st actuator.ValkeyState, err error) {
	err = a.do(func() (err error) { st, err = a.v.State(ctx); return err })
	return st, err
}

// retire waits for calls in flight (each bounded by the retry timeout).
func (a *selectedValkey) retire() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.retired = true
	_ = a.v.Close()
}

// close retires every actuator (the controller is stopping).
func (s *ValkeySelection) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for key := range s.acts {
		s.retire(key)
	}
}
