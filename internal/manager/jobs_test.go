package manager

import (
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

func job(name string, created time.Time, conds ...batchv1.JobCondition) batchv1.Job {
	return batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Name: name, CreationTimestamp: metav1.NewTime(created)},
		Spec: batchv1.JobSpec{BackoffLimit: ptr.To[int32](2)}, Status: batchv1.JobStatus{Conditions: conds}}
}

var (
	failed   = batchv1.JobCondition{Type: batchv1.JobFailed, Status: corev1.ConditionTrue, Reason: "BackoffLimitExceeded", Message: "Job has reached the specified backoff limit"}
	complete = batchv1.JobCondition{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}
)

func TestJobWorkload(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	running := job("migrate", t0)
	running.Status.Active, running.Status.Failed = 1, 1
	target := job("migrate", t0, batchv1.JobCondition{Type: batchv1.JobFailureTarget, Status: corev1.ConditionTrue, Reason: "DeadlineExceeded", Message: "Job was active longer than specified deadline"})
	suspended := job("migrate", t0)
	suspended.Spec.Suspend = ptr.To(true)
	for name, c := range map[string]struct {
		j    batchv1.Job
		want platformv1.Health
		msg  string
	}{
		"backoff exhausted": {job("migrate", t0, failed), platformv1.HealthDegraded,
			"Job ops/migrate: failed: BackoffLimitExceeded: Job has reached the specified backoff limit"},
		"failure decided, pods terminating": {target, platformv1.HealthDegraded, "Job ops/migrate: failed: DeadlineExceeded"},
		"within backoff":                    {running, platformv1.HealthProgressing, "Job ops/migrate: running: 1 active, 1 failed of backoffLimit 2"},
		"complete":                          {job("migrate", t0, complete), platformv1.HealthHealthy, ""},
		"suspended":                         {suspended, platformv1.HealthProgressing, "Job ops/migrate: suspended"},
	} {
		h, msg := WorkloadHealth(JobWorkload(&c.j))
		if h != c.want || !strings.HasPrefix(msg, c.msg) || (c.msg == "" && msg != "") {
			t.Errorf("%s: %s %q, want %s %q", name, h, msg, c.want, c.msg)
		}
	}
}

func TestCronJobWorkload(t *testing.T) {
	t0 := time.Unix(1_800_000_000, 0)
	cj := &batchv1.CronJob{ObjectMeta: metav1.ObjectMeta{Namespace: "ops", Name: "backup", UID: "cj-uid"}}
	run := func(name string, at time.Time, conds ...batchv1.JobCondition) batchv1.Job {
		j := job(name, at, conds...)
		j.OwnerReferences = []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "CronJob", Name: "backup", UID: "cj-uid", Controller: ptr.To(true)}}
		return j
	}
	foreign := job("backup-9", t0.Add(time.Hour), failed) // same namespace, not the CronJob's
	inProgress := run("backup-3", t0.Add(2*time.Hour))
	cases := map[string]struct {
		jobs   []batchv1.Job
		status batchv1.CronJobStatus
		want   platformv1.Health
		msg    string
	}{
		"last run failed": {[]batchv1.Job{run("backup-1", t0, complete), run("backup-2", t0.Add(time.Minute), failed), inProgress, foreign},
			batchv1.CronJobStatus{}, platformv1.HealthDegraded,
			"CronJob ops/backup: last run, Job backup-2, failed: BackoffLimitExceeded: Job has reached the specified backoff limit"},
		"failed, then succeeded": {[]batchv1.Job{run("backup-1", t0, failed), run("backup-2", t0.Add(time.Minute), complete), foreign},
			batchv1.CronJobStatus{}, platformv1.HealthHealthy, ""},
		"never ran": {nil, batchv1.CronJobStatus{}, platformv1.HealthHealthy, ""},
		"run failed, its Job deleted": {nil, batchv1.CronJobStatus{LastScheduleTime: &metav1.Time{Time: t0.Add(time.Hour)},
			LastSuccessfulTime: &metav1.Time{Time: t0}}, platformv1.HealthDegraded,
			"CronJob ops/backup: the run scheduled at 2027-01-15T09:00:00Z did not succeed (its Job is gone)"},
		"running now": {[]batchv1.Job{inProgress}, batchv1.CronJobStatus{LastScheduleTime: &metav1.Time{Time: t0.Add(2 * time.Hour)},
			Active: []corev1.ObjectReference{{Name: "backup-3"}}}, platformv1.HealthHealthy, ""},
	}
	for name, c := range cases {
		cj.Status = c.status
		h, msg := WorkloadHealth(CronJobWorkload(cj, c.jobs))
		if h != c.want || msg != c.msg {
			t.Errorf("%s: %s %q, want %s %q", name, h, msg, c.want, c.msg)
		}
	}
}
