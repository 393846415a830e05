package web

import (
	"slices"
	"sort"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/manager"
)

// Component is one row of the dashboard (and /api/v1/components).
type Component struct {
	Instance         string                   `json:"instance"`
	Name             string                   `json:"name"`
	Health           platformv1.Health        `json:"health"`
	Support          platformv1.Support       `json:"support"`
	Message          string                   `json:"message,omitempty"`
	Drift            []string                 `json:"drift,omitempty"`
	Installed        string                   `json:"installedVersion"`
	Running          string                   `json:"runningVersion,omitempty"`
	Available        string                   `json:"availableVersion,omitempty"`
	UpgradeAvailable bool                     `json:"upgradeAvailable"`
	Changelog        []catalog.ChangelogEntry `json:"changelog,omitempty"`
	UpgradePR        *platformv1.PullRequest  `json:"upgradePullRequest,omitempty"`
}

// Instance is one PlatformInstance's roll-up.
type Instance struct {
	Name       string             `json:"name"`
	Health     platformv1.Health  `json:"health"`
	Support    platformv1.Support `json:"support"`
	Drifted    int32              `json:"drifted"`
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	Components []Component        `json:"components"`
}

// Instances builds the dashboard from the cluster's PlatformInstances and
// Blueprints: health, support and drift from status, versions from the
// lock (spec) and the Blueprint, the changelog since the installed version.
func Instances(pis []platformv1.PlatformInstance, bps map[string]*platformv1.Blueprint) []Instance {
	out := make([]Instance, 0, len(pis))
	for _, pi := range pis {
		in := Instance{Name: pi.Name, Health: pi.Status.Health, Support: pi.Status.Support, Drifted: pi.Status.Drifted, Conditions: pi.Status.Conditions}
		status := map[string]platformv1.ComponentStatus{}
		for _, c := range pi.Status.Components {
			status[c.Name] = c
		}
		for _, c := range pi.Spec.Components {
			st := status[c.Name]
			row := Component{Instance: pi.Name, Name: c.Name, Health: st.Health, Support: st.Support, Message: st.Message,
				Drift: st.Drift, Installed: c.BlueprintVersion, Running: st.RunningVersion}
			if row.Health == "" {
				row.Health = platformv1.HealthUnknown
			}
			if bp := bps[c.Name]; bp != nil {
				row.Available = bp.Spec.Version
				if cond := meta.FindStatusCondition(bp.Status.Conditions, platformv1.ConditionUpgradeAvailable); cond != nil {
					row.UpgradeAvailable = cond.Status == metav1.ConditionTrue
				}
				if row.UpgradeAvailable {
					row.Changelog = manager.ChangesBetween(changelog(bp), c.BlueprintVersion, bp.Spec.Version)
				}
				if u := bp.Status.UpgradePullRequest; u != nil && u.Version == bp.Spec.Version {
					pr := u.PullRequest
					row.UpgradePR = &pr
				}
			}
			in.Components = append(in.Components, row)
		}
		out = append(out, in)
	}
	return out
}

func changelog(bp *platformv1.Blueprint) []catalog.ChangelogEntry {
	out := make([]catalog.ChangelogEntry, 0, len(bp.Spec.Changelog))
	for _, e := range bp.Spec.Changelog {
		out = append(out, catalog.ChangelogEntry{Version: e.Version, Date: e.Date, Changes: e.Changes})
	}
	return out
}

// Node is one Flux object of the install/upgrade graph.
type Node struct {
	Kind      string            `json:"kind"`
	Namespace string            `json:"namespace"`
	Name      string            `json:"name"`
	Component string            `json:"component,omitempty"`
	Health    platformv1.Health `json:"health"`
	// State is the Flux vocabulary: Ready, Reconciling, Stalled, Failed,
	// Suspended, Missing; Degraded or Progressing when Flux says Ready but
	// the workloads it applied are not.
	State     string   `json:"state"`
	Message   string   `json:"message,omitempty"`
	DependsOn []string `json:"dependsOn,omitempty"` // namespace/name
	// Blocking: not ready while everything it depends on is, so the
	// rollout is stuck here rather than waiting upstream.
	Blocking bool    `json:"blocking"`
	Layer    int     `json:"layer"`
	Events   []Event `json:"events,omitempty"`
}

// Event is a Kubernetes Event of a node.
type Event struct {
	Type    string      `json:"type"`
	Reason  string      `json:"reason"`
	Message string      `json:"message"`
	Count   int32       `json:"count,omitempty"`
	Last    metav1.Time `json:"lastTimestamp"`
}

// Graph is the install/upgrade graph in layers: layer 0 depends on
// nothing, layer n on something in layer n-1.
type Graph struct {
	Nodes  []Node   `json:"nodes"`
	Layers [][]int  `json:"layers"` // indexes into Nodes
	Stuck  []string `json:"stuck"`  // namespace/name of blocking nodes
}

// FluxObject is what the graph needs of a HelmRelease or Kustomization.
type FluxObject struct {
	Kind, Namespace, Name, Component string
	DependsOn                        []string // namespace/name
	Observation                      manager.Observation
}

func (f FluxObject) id() string { return f.Namespace + "/" + f.Name }

// BuildGraph layers the objects by dependsOn, judges each with the
// manager's health rules and marks where a rollout is stuck.
func BuildGraph(objs []FluxObject, events map[string][]Event) Graph {
	sort.Slice(objs, func(i, j int) bool { return objs[i].id() < objs[j].id() })
	index := map[string]int{}
	for i, o := range objs {
		index[o.id()] = i
	}
	g := Graph{Nodes: make([]Node, len(objs))}
	for i, o := range objs {
		key := manager.Key{Kind: platformv1.ReleaseKind(o.Kind), Namespace: o.Namespace, Name: o.Name}
		h, msg := manager.HealthWithWorkloads(key, o.Observation)
		g.Nodes[i] = Node{Kind: o.Kind, Namespace: o.Namespace, Name: o.Name, Component: o.Component, Health: h,
			State: state(o.Observation, h), Message: msg, DependsOn: o.DependsOn, Events: events[o.id()]}
	}
	layer := make([]int, len(objs))
	for i := range layer {
		layer[i] = -1
	}
	var depth func(i int, seen map[int]bool) int
	depth = func(i int, seen map[int]bool) int {
		if layer[i] >= 0 {
			return layer[i]
		}
		if seen[i] { // a cycle: Flux would never start it; keep it drawable
			return 0
		}
		seen[i] = true
		d := 0
		for _, dep := range objs[i].DependsOn {
			if j, ok := index[dep]; ok {
				d = max(d, depth(j, seen)+1)
			}
		}
		layer[i] = d
		return d
	}
	for i := range objs {
		n := &g.Nodes[i]
		n.Layer = depth(i, map[int]bool{})
		for len(g.Layers) <= n.Layer {
			g.Layers = append(g.Layers, nil)
		}
		g.Layers[n.Layer] = append(g.Layers[n.Layer], i)
	}
	for i := range g.Nodes {
		n := &g.Nodes[i]
		if n.Health == platformv1.HealthHealthy {
			continue
		}
		n.Blocking = true
		for _, dep := range n.DependsOn {
			if j, ok := index[dep]; ok && g.Nodes[j].Health != platformv1.HealthHealthy {
				n.Blocking = false
			}
		}
		if n.Blocking {
			g.Stuck = append(g.Stuck, n.Namespace+"/"+n.Name)
		}
	}
	return g
}

// state is Flux's word for the object, or, when Flux reports it Ready
// but its workloads are not, Degraded (pods not ready) or Progressing
// (a rollout under way).
func state(o manager.Observation, h platformv1.Health) string {
	switch {
	case !o.Found:
		return "Missing"
	case o.Suspended:
		return "Suspended"
	}
	if c := meta.FindStatusCondition(o.Conditions, "Stalled"); c != nil && c.Status == metav1.ConditionTrue {
		return "Stalled"
	}
	if rh, _ := manager.ReleaseHealth(o); rh == platformv1.HealthHealthy && h != platformv1.HealthHealthy {
		return string(h)
	}
	switch h {
	case platformv1.HealthHealthy:
		return "Ready"
	case platformv1.HealthDegraded:
		return "Failed"
	}
	return "Reconciling"
}

// Step is one stage of a portal request's path.
type Step struct {
	Name  string `json:"name"`
	State string `json:"state"` // done, current, stuck, failed, pending
	Note  string `json:"note,omitempty"`
}

// Request is a PortalRequest's path: pull request → merge → Flux → ready.
type Request struct {
	Namespace   string                  `json:"namespace"`
	Name        string                  `json:"name"`
	Blueprint   string                  `json:"blueprint"`
	RequestedBy string                  `json:"requestedBy"`
	Phase       platformv1.RequestPhase `json:"phase"`
	PullRequest *platformv1.PullRequest `json:"pullRequest,omitempty"`
	Steps       []Step                  `json:"steps"`
	Age         string                  `json:"age,omitempty"`
}

var stepNames = []string{"Pull request opened", "Merged", "Applied by Flux", "Ready"}

// stepOf is the step a phase has reached (index into stepNames).
var stepOf = map[platformv1.RequestPhase]int{
	platformv1.PhaseOpen: 0, platformv1.PhaseMerged: 1, platformv1.PhaseApplied: 2, platformv1.PhaseReady: 3,
}

// failedStep is the step a failure reason stops at.
var failedStep = map[string]int{
	platformv1.ReasonPullRequestClosed: 1, platformv1.ReasonApplyFailed: 2, platformv1.ReasonNotReady: 3,
}

// Requests lays out each request's path, the step it waits on marked
// current and given the status message, or failed with its reason.
func Requests(prs []platformv1.PortalRequest) []Request {
	out := make([]Request, 0, len(prs))
	for _, p := range prs {
		r := Request{Namespace: p.Namespace, Name: p.Name, Blueprint: p.Spec.Blueprint, RequestedBy: p.Spec.RequestedBy,
			Phase: p.Status.Phase, PullRequest: p.Status.PullRequest}
		reached, failed := -1, -1
		if i, ok := stepOf[p.Status.Phase]; ok {
			reached = i
		}
		if p.Status.Phase == platformv1.PhaseFailed {
			failed = 0
			if i, ok := failedStep[p.Status.Reason]; ok {
				failed = i
			}
			reached = failed - 1
		}
		for i, name := range stepNames {
			s := Step{Name: name, State: "pending"}
			switch {
			case i <= reached:
				s.State = "done"
			case i == failed:
				s.State, s.Note = "failed", p.Status.Reason+": "+p.Status.Message
			case i == reached+1 && failed < 0:
				s.State, s.Note = "current", p.Status.Message
			}
			r.Steps = append(r.Steps, s)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Request) int {
		if a.Namespace != b.Namespace {
			return compare(a.Namespace, b.Namespace)
		}
		return compare(a.Name, b.Name)
	})
	return out
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
