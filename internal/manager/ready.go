package manager

import (
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

// ReadyKind is an operator's custom resource kind whose status says
// whether what it describes is ready. A release that applied one (found by
// Flux's origin labels, as workloads are) is as healthy as it is: a HelmRelease
// Ready=True whose CNPG Cluster cannot start is not Healthy.
type ReadyKind struct {
	Group, Kind string
	// Resource is the plural; the chart's ClusterRole grants list and
	// watch of each (deploy/charts/catalyst).
	Resource string
	// Versions read, preferred first; the status fields judged are the
	// same in each.
	Versions []string
	judge    func(readyState) (platformv1.Health, string)
}

// GroupKind of the kind.
func (k ReadyKind) GroupKind() schema.GroupKind {
	return schema.GroupKind{Group: k.Group, Kind: k.Kind}
}

// ReadyKinds is every operator kind the manager judges. A kind the API
// server does not serve (its operator not installed) is skipped, and
// watched from when it appears.
var ReadyKinds = []ReadyKind{
	{"postgresql.cnpg.io", "Cluster", "clusters", []string{"v1"}, judgeCNPGCluster},
	{"kafka.strimzi.io", "Kafka", "kafkas", []string{"v1", "v1beta2"}, judgeStrimzi},
	{"kafka.strimzi.io", "KafkaMirrorMaker2", "kafkamirrormaker2s", []string{"v1", "v1beta2"}, judgeStrimzi},
	{"kafka.strimzi.io", "KafkaTopic", "kafkatopics", []string{"v1", "v1beta2"}, judgeStrimzi},
	{"kafka.strimzi.io", "KafkaUser", "kafkausers", []string{"v1", "v1beta2"}, judgeStrimzi},
	// Issuing=True: a certificate being (re)issued, not a failed one.
	{"cert-manager.io", "Certificate", "certificates", []string{"v1"}, judgeReady("Issuing")},
	{"cert-manager.io", "Issuer", "issuers", []string{"v1"}, judgeReady()},
	{"cert-manager.io", "ClusterIssuer", "clusterissuers", []string{"v1"}, judgeReady()},
	{"external-secrets.io", "ExternalSecret", "externalsecrets", []string{"v1", "v1beta1"}, judgeReady()},
	{"external-secrets.io", "SecretStore", "secretstores", []string{"v1", "v1beta1"}, judgeReady()},
	{"external-secrets.io", "ClusterSecretStore", "clustersecretstores", []string{"v1", "v1beta1"}, judgeReady()},
	{"external-secrets.io", "PushSecret", "pushsecrets", []string{"v1alpha1"}, judgeReady()},
	{"kyverno.io", "ClusterPolicy", "clusterpolicies", []string{"v1"}, judgeReady()},
	{"kyverno.io", "Policy", "policies", []string{"v1"}, judgeReady()},
}

// readyState is what the judges read of a custom resource's status.
type readyState struct {
	Generation int64
	// ObservedGeneration is status.observedGeneration; 0 when the
	// operator does not report it.
	ObservedGeneration int64
	Phase, PhaseReason string
	Conditions         []readyCondition
}

// readyCondition is read field by field: operators' conditions differ in
// which fields they set and how they format times.
type readyCondition struct {
	Type, Status, Reason, Message string
	ObservedGeneration            int64
}

func (s readyState) condition(t string) *readyCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == t {
			return &s.Conditions[i]
		}
	}
	return nil
}

func (s readyState) isTrue(t string) *readyCondition {
	if c := s.condition(t); c != nil && c.Status == "True" {
		return c
	}
	return nil
}

// stale: the operator has not yet acted on the current spec.
func (s readyState) stale(c *readyCondition) bool {
	return (s.ObservedGeneration > 0 && s.ObservedGeneration < s.Generation) ||
		(c != nil && c.ObservedGeneration > 0 && c.ObservedGeneration < s.Generation)
}

func why(c *readyCondition) string {
	switch {
	case c.Reason != "" && c.Message != "":
		return c.Reason + ": " + c.Message
	case c.Message != "":
		return c.Message
	}
	return c.Reason
}

// judgeReady is the common contract (cert-manager, External Secrets,
// Kyverno): Ready=True for the current generation is Healthy, Ready=False
// Degraded, unless one of the progressing conditions is True (work under
// way); no Ready condition yet is Progressing.
func judgeReady(progressing ...string) func(readyState) (platformv1.Health, string) {
	return func(s readyState) (platformv1.Health, string) {
		ready := s.condition("Ready")
		if ready != nil && ready.Status == "True" {
			if s.stale(ready) {
				return platformv1.HealthProgressing, fmt.Sprintf("generation %d not yet observed", s.Generation)
			}
			return platformv1.HealthHealthy, ""
		}
		for _, t := range progressing {
			if c := s.isTrue(t); c != nil {
				return platformv1.HealthProgressing, fmt.Sprintf("%s: %s", t, why(c))
			}
		}
		switch {
		case ready == nil:
			return platformv1.HealthProgressing, "not yet reconciled"
		case ready.Status == "False":
			return platformv1.HealthDegraded, why(ready)
		}
		return platformv1.HealthProgressing, "Ready is " + ready.Status + ": " + why(ready)
	}
}

// judgeStrimzi reads Strimzi's pair of conditions: Ready=True, or
// NotReady=True with the reason (Creating while it deploys; the failure
// otherwise, e.g. an exception's name).
func judgeStrimzi(s readyState) (platformv1.Health, string) {
	if c := s.isTrue("Ready"); c != nil {
		if s.stale(c) {
			return platformv1.HealthProgressing, fmt.Sprintf("generation %d not yet observed", s.Generation)
		}
		return platformv1.HealthHealthy, ""
	}
	if c := s.isTrue("ReconciliationPaused"); c != nil {
		return platformv1.HealthProgressing, "reconciliation paused"
	}
	if c := s.isTrue("NotReady"); c != nil {
		if c.Reason == "Creating" {
			return platformv1.HealthProgressing, why(c)
		}
		return platformv1.HealthDegraded, why(c)
	}
	return platformv1.HealthProgressing, "not yet reconciled"
}

// CNPG phases (status.phase) from which the operator does not recover on
// its own (cloudnative-pg api/v1 cluster_types.go); every other phase but
// the healthy one is work under way.
const cnpgHealthy = "Cluster in healthy state"

var cnpgFailed = []string{
	"Waiting for user action",
	"Cluster cannot proceed to reconciliation due to an unknown plugin being required",
	"Cluster cannot proceed to reconciliation due to an error while interacting with plugins",
	"Cluster has incomplete or invalid image catalog",
	"Cluster is unrecoverable and needs manual intervention",
	"Cluster cannot execute instance online upgrade due to missing architecture binary",
	"Unable to create required cluster objects",
}

func judgeCNPGCluster(s readyState) (platformv1.Health, string) {
	phase := s.Phase
	if s.PhaseReason != "" {
		phase += " (" + s.PhaseReason + ")"
	}
	switch {
	case s.Phase == cnpgHealthy && !s.stale(s.condition("Ready")):
		return platformv1.HealthHealthy, ""
	case slices.Contains(cnpgFailed, s.Phase):
		return platformv1.HealthDegraded, "phase " + phase
	case s.Phase == "":
		return platformv1.HealthProgressing, "not yet reconciled"
	}
	return platformv1.HealthProgressing, "phase " + phase
}

// ReadyWorkload judges a custom resource of kind k; the message names it,
// e.g. "Certificate istio-system/wildcard: DoesNotExist: Issuing
// certificate as Secret does not exist".
func ReadyWorkload(u *unstructured.Unstructured, k ReadyKind) Workload {
	w := Workload{Kind: k.Kind, Namespace: u.GetNamespace(), Name: u.GetName(), Generation: u.GetGeneration()}
	s := readState(u)
	w.ObservedGeneration = s.ObservedGeneration
	h, msg := k.judge(s)
	w.Judged = &Judgement{Health: h}
	if h != platformv1.HealthHealthy {
		w.Judged.Message = fmt.Sprintf("%s: %s", w, msg)
	}
	return w
}

func readState(u *unstructured.Unstructured) readyState {
	s := readyState{Generation: u.GetGeneration()}
	s.ObservedGeneration, _, _ = unstructured.NestedInt64(u.Object, "status", "observedGeneration")
	s.Phase, _, _ = unstructured.NestedString(u.Object, "status", "phase")
	s.PhaseReason, _, _ = unstructured.NestedString(u.Object, "status", "phaseReason")
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		str := func(k string) string { v, _ := m[k].(string); return v }
		rc := readyCondition{Type: str("type"), Status: str("status"), Reason: str("reason"), Message: str("message")}
		rc.ObservedGeneration, _, _ = unstructured.NestedInt64(m, "observedGeneration")
		s.Conditions = append(s.Conditions, rc)
	}
	return s
}

// trimReady keeps of a cached custom resource only what readState and
// the owner lookup read: the manager caches every object of these kinds in
// the cluster.
func trimReady(u *unstructured.Unstructured) *unstructured.Unstructured {
	out := &unstructured.Unstructured{Object: map[string]any{"apiVersion": u.GetAPIVersion(), "kind": u.GetKind()}}
	out.SetName(u.GetName())
	out.SetNamespace(u.GetNamespace())
	out.SetUID(u.GetUID())
	out.SetResourceVersion(u.GetResourceVersion())
	out.SetGeneration(u.GetGeneration())
	out.SetLabels(u.GetLabels())
	status := map[string]any{}
	for _, f := range []string{"observedGeneration", "phase", "phaseReason", "conditions"} {
		if v, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "status", f); ok {
			status[f] = v
		}
	}
	if len(status) > 0 {
		out.Object["status"] = status
	}
	return out
}
