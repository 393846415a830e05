package manager

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

// Flux's controllers label every object they apply with the Flux object
// that owns it: helm-controller's post-renderer adds <group>/name and
// <group>/namespace of the HelmRelease to each rendered manifest (fluxcd/
// helm-controller internal/postrender/origin_labels.go, group
// helm.toolkit.fluxcd.io), and kustomize-controller does the same with
// kustomize.toolkit.fluxcd.io/name and /namespace. The manager finds a
// release's workloads by these labels, wherever they were installed
// (a HelmRelease's targetNamespace included).
const (
	HelmNameLabel           = "helm.toolkit.fluxcd.io/name"
	HelmNamespaceLabel      = "helm.toolkit.fluxcd.io/namespace"
	KustomizeNameLabel      = "kustomize.toolkit.fluxcd.io/name"
	KustomizeNamespaceLabel = "kustomize.toolkit.fluxcd.io/namespace"
)

// OwnerOf returns the Flux object that applied an object with labels,
// and whether it has one.
func OwnerOf(labels map[string]string) (Key, bool) {
	if n, ns := labels[HelmNameLabel], labels[HelmNamespaceLabel]; n != "" && ns != "" {
		return Key{Kind: platformv1.KindHelmRelease, Namespace: ns, Name: n}, true
	}
	if n, ns := labels[KustomizeNameLabel], labels[KustomizeNamespaceLabel]; n != "" && ns != "" {
		return Key{Kind: platformv1.KindKustomization, Namespace: ns, Name: n}, true
	}
	return Key{}, false
}

// Workload is an object a release applied whose health the manager
// judges. Of a Deployment, StatefulSet or DaemonSet it holds desired pods
// against ready, updated and available ones; a Job, a CronJob or an
// operator's custom resource has no pods to count and is judged as it is
// read (Judged).
type Workload struct {
	Kind, Namespace, Name          string
	Generation, ObservedGeneration int64
	Desired, Ready, Updated        int32
	Available                      int32
	// DeadlineExceeded: a Deployment's Progressing condition is False with
	// reason ProgressDeadlineExceeded (the rollout gave up).
	DeadlineExceeded bool
	// Judged, when set, is the health of an object without pods to count
	// (JobWorkload, CronJobWorkload, ReadyWorkload).
	Judged *Judgement
}

// Judgement is a health and, unless Healthy, a message naming the object.
type Judgement struct {
	Health  platformv1.Health
	Message string
}

func (w Workload) String() string {
	if w.Namespace == "" { // cluster-scoped, e.g. a ClusterIssuer
		return w.Kind + " " + w.Name
	}
	return fmt.Sprintf("%s %s/%s", w.Kind, w.Namespace, w.Name)
}

// DeploymentWorkload reads a Deployment (spec.replicas defaults to 1).
func DeploymentWorkload(d *appsv1.Deployment) Workload {
	w := Workload{Kind: "Deployment", Namespace: d.Namespace, Name: d.Name, Generation: d.Generation,
		ObservedGeneration: d.Status.ObservedGeneration, Desired: 1, Ready: d.Status.ReadyReplicas,
		Updated: d.Status.UpdatedReplicas, Available: d.Status.AvailableReplicas}
	if d.Spec.Replicas != nil {
		w.Desired = *d.Spec.Replicas
	}
	for _, c := range d.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Status == "False" && c.Reason == "ProgressDeadlineExceeded" {
			w.DeadlineExceeded = true
		}
	}
	return w
}

// StatefulSetWorkload reads a StatefulSet; with the OnDelete strategy pods
// are updated by hand, so updates are not waited for.
func StatefulSetWorkload(s *appsv1.StatefulSet) Workload {
	w := Workload{Kind: "StatefulSet", Namespace: s.Namespace, Name: s.Name, Generation: s.Generation,
		ObservedGeneration: s.Status.ObservedGeneration, Desired: 1, Ready: s.Status.ReadyReplicas,
		Updated: s.Status.UpdatedReplicas, Available: s.Status.AvailableReplicas}
	if s.Spec.Replicas != nil {
		w.Desired = *s.Spec.Replicas
	}
	if s.Spec.UpdateStrategy.Type == appsv1.OnDeleteStatefulSetStrategyType {
		w.Updated = w.Desired
	}
	return w
}

// DaemonSetWorkload reads a DaemonSet: desired is the number of nodes it
// should run on, as the DaemonSet controller computed it.
func DaemonSetWorkload(d *appsv1.DaemonSet) Workload {
	w := Workload{Kind: "DaemonSet", Namespace: d.Namespace, Name: d.Name, Generation: d.Generation,
		ObservedGeneration: d.Status.ObservedGeneration, Desired: d.Status.DesiredNumberScheduled,
		Ready: d.Status.NumberReady, Updated: d.Status.UpdatedNumberScheduled, Available: d.Status.NumberAvailable}
	if d.Spec.UpdateStrategy.Type == appsv1.OnDeleteDaemonSetStrategyType {
		w.Updated = w.Desired
	}
	return w
}

// WorkloadHealth judges one workload. A rollout under way (spec not yet
// observed, pods not yet updated) is Progressing; a rollout that gave up,
// or a settled workload with fewer ready pods than desired, is Degraded.
// The message names the workload, e.g. "Deployment ns/name: 1/2 ready".
func WorkloadHealth(w Workload) (platformv1.Health, string) {
	if w.Judged != nil {
		return w.Judged.Health, w.Judged.Message
	}
	switch {
	case w.DeadlineExceeded:
		return platformv1.HealthDegraded, fmt.Sprintf("%s: progress deadline exceeded, %d/%d ready", w, w.Ready, w.Desired)
	case w.ObservedGeneration < w.Generation:
		return platformv1.HealthProgressing, fmt.Sprintf("%s: generation %d not yet observed", w, w.Generation)
	case w.Updated < w.Desired:
		return platformv1.HealthProgressing, fmt.Sprintf("%s: rolling out, %d/%d updated", w, w.Updated, w.Desired)
	case w.Ready < w.Desired:
		return platformv1.HealthDegraded, fmt.Sprintf("%s: %d/%d ready", w, w.Ready, w.Desired)
	case w.Available < w.Desired: // ready, not yet for minReadySeconds
		return platformv1.HealthProgressing, fmt.Sprintf("%s: %d/%d available", w, w.Available, w.Desired)
	}
	return platformv1.HealthHealthy, ""
}

// HealthWithWorkloads is ReleaseHealth with the release's workloads
// judged too (see releaseAndWorkloads), the messages joined; the workflow
// explorer judges its nodes with it, as the dashboard's components are.
func HealthWithWorkloads(k Key, o Observation) (platformv1.Health, string) {
	rh, msg := ReleaseHealth(o)
	h, msgs := releaseAndWorkloads(k, o)
	if h == rh && h == platformv1.HealthHealthy {
		return h, msg // Flux's own message, e.g. "Helm install succeeded"
	}
	if rh != platformv1.HealthHealthy && len(msgs) > 0 {
		msgs[0] = msg // releaseAndWorkloads prefixes it with k; a node names itself
	}
	return h, strings.Join(msgs, "; ")
}

// releaseAndWorkloads is a release's health with its workloads': the worst
// of the Flux conditions and every workload, so a HelmRelease Ready=True
// over a workload with unready pods is Degraded. msgs name what is not
// healthy, the release first.
func releaseAndWorkloads(k Key, o Observation) (platformv1.Health, []string) {
	h, msg := ReleaseHealth(o)
	var msgs []string
	if h != platformv1.HealthHealthy {
		msgs = append(msgs, fmt.Sprintf("%s: %s", k, msg))
	}
	if !o.Found {
		return h, msgs
	}
	for _, w := range o.Workloads {
		wh, wmsg := WorkloadHealth(w)
		if wh == platformv1.HealthHealthy {
			continue
		}
		msgs = append(msgs, wmsg)
		if healthRank[wh] > healthRank[h] {
			h = wh
		}
	}
	return h, msgs
}
