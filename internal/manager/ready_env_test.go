package manager_test

import (
	"context"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/manager"
)

// A release Ready=True is not Healthy while what it applied is not: a
// Job that exhausted its backoff, a CronJob whose last run failed, and
// operator resources (a CNPG Cluster, a Strimzi Kafka, a cert-manager
// Certificate, an ExternalSecret) whose status says they are not ready.
// Against the real API server with the upstream CRDs; no operator or
// kube-controller-manager runs here, so the test writes each status as the
// operator or the Job controller would. Fixed one by one, the component
// becomes Healthy, and the platform with it.
func TestHealthFromJobsAndOperatorResources(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const ns = "operated"
	if err := env.EnsureNamespace(ctx, ns); err != nil {
		t.Fatal(err)
	}
	runReconciler(t, nil)

	bp := &platformv1.Blueprint{ObjectMeta: metav1.ObjectMeta{Name: "ledger"}, Spec: platformv1.BlueprintSpec{Version: "1.0.0", AppVersion: "1.0.0",
		Support: []platformv1.SupportRange{{Versions: "1.0.x", Status: platformv1.SupportSupported}}}}
	if err := env.Client.Create(ctx, bp); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(ctx, helmRelease(ns, "ledger", "ledger", "1.0.0", nil)); err != nil {
		t.Fatal(err)
	}
	setStatus(t, ns, "ledger", release{ready: metav1.ConditionTrue, reason: "InstallSucceeded",
		message: "Helm install succeeded", chartVersion: "1.0.0", appVersion: "1.0.0"})
	pi := &platformv1.PlatformInstance{ObjectMeta: metav1.ObjectMeta{Name: "operated"}, Spec: platformv1.PlatformInstanceSpec{
		Tenant: "operated", Regions: []string{"fsn1"},
		Components: []platformv1.InstalledComponent{{Name: "ledger", BlueprintVersion: "1.0.0", AppVersion: "1.0.0",
			Releases: []platformv1.ReleaseRef{{Name: "ledger", Namespace: ns, ChartVersion: "1.0.0"}}}}}}
	if err := env.Client.Create(ctx, pi); err != nil {
		t.Fatal(err)
	}
	wait := func(what string, ok func(platformv1.PlatformInstanceStatus, platformv1.ComponentStatus) bool) platformv1.ComponentStatus {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			var got platformv1.PlatformInstance
			if err := env.Client.Get(ctx, client.ObjectKey{Name: "operated"}, &got); err != nil {
				t.Fatal(err)
			}
			if c := component(got.Status, "ledger"); ok(got.Status, c) {
				return c
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not reached; status is %+v", what, got.Status)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	wait("healthy before anything was applied", func(_ platformv1.PlatformInstanceStatus, c platformv1.ComponentStatus) bool {
		return c.Health == platformv1.HealthHealthy
	})

	origin := map[string]any{manager.HelmNameLabel: "ledger", manager.HelmNamespaceLabel: ns}
	create := func(doc string) *unstructured.Unstructured {
		t.Helper()
		u := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &u.Object); err != nil {
			t.Fatal(err)
		}
		u.SetNamespace(ns)
		labels := map[string]string{}
		for k, v := range origin {
			labels[k] = v.(string)
		}
		u.SetLabels(labels)
		if err := env.Client.Create(ctx, u); err != nil {
			t.Fatalf("create %s: %v", u.GetKind(), err)
		}
		return u
	}
	setObjStatus := func(u *unstructured.Unstructured, status string) {
		t.Helper()
		var st map[string]any
		if err := yaml.Unmarshal([]byte(status), &st); err != nil {
			t.Fatal(err)
		}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(u), u); err != nil {
			t.Fatal(err)
		}
		u.Object["status"] = st
		if err := env.Client.Status().Update(ctx, u); err != nil {
			t.Fatalf("status of %s: %v", u.GetKind(), err)
		}
	}
	cluster := create(`{apiVersion: postgresql.cnpg.io/v1, kind: Cluster, metadata: {name: orders}, spec: {instances: 1, storage: {size: 1Gi}}}`)
	setObjStatus(cluster, `{phase: Setting up primary, phaseReason: Creating primary instance orders-1}`)
	kafka := create(`{apiVersion: kafka.strimzi.io/v1, kind: Kafka, metadata: {name: events},
  spec: {kafka: {listeners: [{name: plain, port: 9092, type: internal, tls: false}]}}}`)
	setObjStatus(kafka, `{conditions: [{type: NotReady, status: "True", reason: TimeoutException, message: Exceeded timeout while waiting for events-kafka-0 to be ready}]}`)
	cert := create(`{apiVersion: cert-manager.io/v1, kind: Certificate, metadata: {name: api},
  spec: {secretName: api-tls, dnsNames: [api.example.com], issuerRef: {name: letsencrypt, kind: ClusterIssuer}}}`)
	setObjStatus(cert, `{conditions: [{type: Ready, status: "False", reason: DoesNotExist, message: Issuing certificate as Secret does not exist},
  {type: Issuing, status: "False", reason: Failed, message: The certificate request has failed to complete and will be retried}]}`)
	es := create(`{apiVersion: external-secrets.io/v1, kind: ExternalSecret, metadata: {name: creds},
  spec: {secretStoreRef: {name: openbao, kind: ClusterSecretStore}, target: {name: creds}, data: [{secretKey: password, remoteRef: {key: ledger/creds}}]}}`)
	setObjStatus(es, `{conditions: [{type: Ready, status: "False", reason: SecretSyncedError, message: could not get secret data from provider}]}`)

	podSpec := corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever,
		Containers: []corev1.Container{{Name: "run", Image: "registry.example/ledger:1.0.0"}}}}
	labels := map[string]string{manager.HelmNameLabel: "ledger", manager.HelmNamespaceLabel: ns}
	migrate := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "migrate", Labels: labels},
		Spec: batchv1.JobSpec{BackoffLimit: ptr.To[int32](1), Template: podSpec}}
	if err := env.Client.Create(ctx, migrate); err != nil {
		t.Fatal(err)
	}
	failJob(t, migrate)
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "backup", Labels: labels},
		Spec: batchv1.CronJobSpec{Schedule: "0 * * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: podSpec}}}}
	if err := env.Client.Create(ctx, cj); err != nil {
		t.Fatal(err)
	}
	run := func(name string) *batchv1.Job { // a run the CronJob controller created: unlabelled, controlled by it
		t.Helper()
		j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name,
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "CronJob", Name: "backup", UID: cj.UID, Controller: ptr.To(true)}}},
			Spec: batchv1.JobSpec{BackoffLimit: ptr.To[int32](0), Template: podSpec}}
		if err := env.Client.Create(ctx, j); err != nil {
			t.Fatal(err)
		}
		return j
	}
	failJob(t, run("backup-100"))

	wants := []string{
		"Cluster operated/orders: phase Setting up primary (Creating primary instance orders-1)",
		"Kafka operated/events: TimeoutException: Exceeded timeout while waiting for events-kafka-0 to be ready",
		"Certificate operated/api: DoesNotExist: Issuing certificate as Secret does not exist",
		"ExternalSecret operated/creds: SecretSyncedError: could not get secret data from provider",
		"Job operated/migrate: failed: BackoffLimitExceeded: Job has reached the specified backoff limit",
		"CronJob operated/backup: last run, Job backup-100, failed: BackoffLimitExceeded",
	}
	wait("degraded, naming each", func(st platformv1.PlatformInstanceStatus, c platformv1.ComponentStatus) bool {
		for _, w := range wants {
			if !strings.Contains(c.Message, w) {
				return false
			}
		}
		return c.Health == platformv1.HealthDegraded && st.Health == platformv1.HealthDegraded
	})

	// Each fixed as its operator or controller would report it.
	setObjStatus(cluster, `{phase: Cluster in healthy state, conditions: [{type: Ready, status: "True", reason: ClusterIsReady, message: Cluster is Ready, lastTransitionTime: "2026-01-01T00:00:00Z"}]}`)
	setObjStatus(kafka, `{observedGeneration: 1, conditions: [{type: Ready, status: "True", lastTransitionTime: "2026-01-01T00:00:00.000Z"}]}`)
	setObjStatus(cert, `{conditions: [{type: Ready, status: "True", reason: Ready, message: Certificate is up to date and has not expired}]}`)
	setObjStatus(es, `{conditions: [{type: Ready, status: "True", reason: SecretSynced, message: secret synced}]}`)
	if err := env.Client.Delete(ctx, migrate, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond) // the next run is created in a later second
	completeJob(t, run("backup-200"))
	c := wait("healthy once all are", func(st platformv1.PlatformInstanceStatus, c platformv1.ComponentStatus) bool {
		return c.Health == platformv1.HealthHealthy && st.Health == platformv1.HealthHealthy
	})
	if c.Message != "" {
		t.Errorf("healthy component's message %q", c.Message)
	}
}

// failJob and completeJob write a Job's status as the Job controller does
// when it gives up after its backoff or when the pod succeeded.
func failJob(t *testing.T, j *batchv1.Job) {
	t.Helper()
	now := metav1.Now()
	j.Status = batchv1.JobStatus{StartTime: &now, Failed: 1, Conditions: []batchv1.JobCondition{
		{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit", LastTransitionTime: now},
		{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit", LastTransitionTime: now}}}
	if err := env.Client.Status().Update(context.Background(), j); err != nil {
		t.Fatalf("fail Job %s: %v", j.Name, err)
	}
}

func completeJob(t *testing.T, j *batchv1.Job) {
	t.Helper()
	now := metav1.Now()
	j.Status = batchv1.JobStatus{StartTime: &now, CompletionTime: &now, Succeeded: 1, Conditions: []batchv1.JobCondition{
		{Type: batchv1.JobSuccessCriteriaMet, Status: corev1.ConditionTrue, Reason: "CompletionsReached", LastTransitionTime: now},
		{Type: batchv1.JobComplete, Status: corev1.ConditionTrue, Reason: "CompletionsReached", LastTransitionTime: now}}}
	if err := env.Client.Status().Update(context.Background(), j); err != nil {
		t.Fatalf("complete Job %s: %v", j.Name, err)
	}
}
