package manager

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

func readyKind(t *testing.T, kind string) ReadyKind {
	t.Helper()
	for _, k := range ReadyKinds {
		if k.Kind == kind {
			return k
		}
	}
	t.Fatalf("no ReadyKind %s", kind)
	return ReadyKind{}
}

// decode reads YAML as the API client does: whole numbers are int64.
func decode(t *testing.T, doc string) *unstructured.Unstructured {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := utiljson.Unmarshal(j, &u.Object); err != nil {
		t.Fatal(err)
	}
	return u
}

// Statuses as each operator writes them (field names and values from
// their API types and controllers).
func TestReadyWorkload(t *testing.T) {
	for name, c := range map[string]struct {
		kind, obj string
		want      platformv1.Health
		msg       string
	}{
		"CNPG healthy": {"Cluster", `
metadata: {namespace: db, name: pg, generation: 2}
status: {phase: Cluster in healthy state, conditions: [{type: Ready, status: "True", reason: ClusterIsReady, observedGeneration: 2}]}`,
			platformv1.HealthHealthy, ""},
		"CNPG setting up": {"Cluster", `
metadata: {namespace: db, name: pg, generation: 1}
status: {phase: Setting up primary, phaseReason: Creating primary instance pg-1}`,
			platformv1.HealthProgressing, "Cluster db/pg: phase Setting up primary (Creating primary instance pg-1)"},
		"CNPG plugin failure": {"Cluster", `
metadata: {namespace: db, name: pg, generation: 1}
status:
  phase: Cluster cannot proceed to reconciliation due to an unknown plugin being required
  phaseReason: barman-cloud.cloudnative-pg.io not registered
  conditions: [{type: Ready, status: "False", reason: ClusterIsNotReady, message: Cluster Is Not Ready}]`,
			platformv1.HealthDegraded, "Cluster db/pg: phase Cluster cannot proceed to reconciliation due to an unknown plugin being required (barman-cloud.cloudnative-pg.io not registered)"},
		"CNPG healthy, older generation": {"Cluster", `
metadata: {namespace: db, name: pg, generation: 3}
status: {phase: Cluster in healthy state, conditions: [{type: Ready, status: "True", reason: ClusterIsReady, observedGeneration: 2}]}`,
			platformv1.HealthProgressing, "Cluster db/pg: phase Cluster in healthy state"},
		"Kafka creating": {"Kafka", `
metadata: {namespace: kafka, name: events, generation: 1}
status: {conditions: [{type: NotReady, status: "True", reason: Creating, message: Kafka cluster is being deployed}]}`,
			platformv1.HealthProgressing, "Kafka kafka/events: Creating: Kafka cluster is being deployed"},
		"Kafka failed": {"Kafka", `
metadata: {namespace: kafka, name: events, generation: 1}
status: {observedGeneration: 1, conditions: [{type: NotReady, status: "True", reason: TimeoutException, message: Exceeded timeout of 300000ms while waiting for Pods resource events-kafka-0 to be ready}]}`,
			platformv1.HealthDegraded, "Kafka kafka/events: TimeoutException: Exceeded timeout of 300000ms while waiting for Pods resource events-kafka-0 to be ready"},
		"Kafka ready, warnings": {"Kafka", `
metadata: {namespace: kafka, name: events, generation: 4}
status: {observedGeneration: 4, conditions: [{type: Warning, status: "True", reason: KafkaStorage}, {type: Ready, status: "True"}]}`,
			platformv1.HealthHealthy, ""},
		"Kafka ready for an older spec": {"Kafka", `
metadata: {namespace: kafka, name: events, generation: 5}
status: {observedGeneration: 4, conditions: [{type: Ready, status: "True"}]}`,
			platformv1.HealthProgressing, "Kafka kafka/events: generation 5 not yet observed"},
		"Certificate issuing": {"Certificate", `
metadata: {namespace: istio-system, name: wildcard, generation: 1}
status: {conditions: [{type: Ready, status: "False", reason: DoesNotExist, message: Issuing certificate as Secret does not exist, observedGeneration: 1},
  {type: Issuing, status: "True", reason: DoesNotExist, message: Issuing certificate as Secret does not exist, observedGeneration: 1}]}`,
			platformv1.HealthProgressing, "Certificate istio-system/wildcard: Issuing: DoesNotExist: Issuing certificate as Secret does not exist"},
		"Certificate failed": {"Certificate", `
metadata: {namespace: istio-system, name: wildcard, generation: 1}
status:
  failedIssuanceAttempts: 3
  conditions: [{type: Ready, status: "False", reason: DoesNotExist, message: Issuing certificate as Secret does not exist},
    {type: Issuing, status: "False", reason: Failed, message: "The certificate request has failed to complete and will be retried: the ACME order failed"}]`,
			platformv1.HealthDegraded, "Certificate istio-system/wildcard: DoesNotExist: Issuing certificate as Secret does not exist"},
		"ClusterIssuer ready": {"ClusterIssuer", `
metadata: {name: letsencrypt, generation: 1}
status: {conditions: [{type: Ready, status: "True", reason: ACMEAccountRegistered, observedGeneration: 1}]}`,
			platformv1.HealthHealthy, ""},
		"ClusterIssuer failing": {"ClusterIssuer", `
metadata: {name: letsencrypt, generation: 1}
status: {conditions: [{type: Ready, status: "False", reason: ErrRegisterACMEAccount, message: Failed to register ACME account}]}`,
			platformv1.HealthDegraded, "ClusterIssuer letsencrypt: ErrRegisterACMEAccount: Failed to register ACME account"},
		"ExternalSecret sync error": {"ExternalSecret", `
metadata: {namespace: gitea, name: admin, generation: 1}
status: {conditions: [{type: Ready, status: "False", reason: SecretSyncedError, message: could not get secret data from provider}]}`,
			platformv1.HealthDegraded, "ExternalSecret gitea/admin: SecretSyncedError: could not get secret data from provider"},
		"ExternalSecret not yet reconciled": {"ExternalSecret", `
metadata: {namespace: gitea, name: admin, generation: 1}`,
			platformv1.HealthProgressing, "ExternalSecret gitea/admin: not yet reconciled"},
	} {
		u := decode(t, c.obj)
		h, msg := WorkloadHealth(ReadyWorkload(u, readyKind(t, c.kind)))
		if h != c.want || msg != c.msg {
			t.Errorf("%s: %s %q, want %s %q", name, h, msg, c.want, c.msg)
		}
	}
}

// The cache keeps only what the judgement reads.
func TestTrimReady(t *testing.T) {
	u := decode(t, `
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {namespace: db, name: pg, generation: 2, labels: {a: b}, annotations: {big: x}, managedFields: [{manager: m}]}
spec: {instances: 3}
status: {phase: Cluster in healthy state, instancesStatus: {healthy: [pg-1]}, conditions: [{type: Ready, status: "True"}]}`)
	got := trimReady(u)
	if _, ok := got.Object["spec"]; ok || got.GetAnnotations() != nil || got.GetManagedFields() != nil || got.GetLabels()["a"] != "b" {
		t.Errorf("trimmed: %v", got.Object)
	}
	if h, _ := WorkloadHealth(ReadyWorkload(got, readyKind(t, "Cluster"))); h != platformv1.HealthHealthy {
		t.Errorf("trimmed Cluster judged %s", h)
	}
}
