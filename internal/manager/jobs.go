package manager

import (
	"fmt"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

// defaultBackoffLimit is the Job API's default spec.backoffLimit.
const defaultBackoffLimit = 6

// JobWorkload judges a Job a release applied: one that gave up (its
// Failed condition: backoffLimit exhausted, deadline exceeded, a pod
// failure policy) is Degraded with the condition's reason and message; one
// still running within its backoff is Progressing; a complete one is
// Healthy.
func JobWorkload(j *batchv1.Job) Workload {
	w := Workload{Kind: "Job", Namespace: j.Namespace, Name: j.Name}
	h, msg := jobHealth(j)
	w.Judged = &Judgement{Health: h, Message: msg}
	if h != platformv1.HealthHealthy {
		w.Judged.Message = fmt.Sprintf("%s: %s", w, msg)
	}
	return w
}

func jobHealth(j *batchv1.Job) (platformv1.Health, string) {
	// FailureTarget comes first: the Job controller has decided the Job
	// failed and is terminating its pods before it sets Failed.
	for _, t := range []batchv1.JobConditionType{batchv1.JobFailed, batchv1.JobFailureTarget} {
		if c := jobCondition(j, t); c != nil {
			return platformv1.HealthDegraded, fmt.Sprintf("failed: %s: %s", c.Reason, c.Message)
		}
	}
	if jobCondition(j, batchv1.JobComplete) != nil || jobCondition(j, batchv1.JobSuccessCriteriaMet) != nil {
		return platformv1.HealthHealthy, ""
	}
	if j.Spec.Suspend != nil && *j.Spec.Suspend {
		return platformv1.HealthProgressing, "suspended"
	}
	limit := int32(defaultBackoffLimit)
	if j.Spec.BackoffLimit != nil {
		limit = *j.Spec.BackoffLimit
	}
	return platformv1.HealthProgressing, fmt.Sprintf("running: %d active, %d failed of backoffLimit %d", j.Status.Active, j.Status.Failed, limit)
}

// jobCondition is j's condition of type t when it is True.
func jobCondition(j *batchv1.Job, t batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range j.Status.Conditions {
		if c := &j.Status.Conditions[i]; c.Type == t && c.Status == corev1.ConditionTrue {
			return c
		}
	}
	return nil
}

// jobFinished: the Job completed or gave up.
func jobFinished(j *batchv1.Job) bool {
	h, _ := jobHealth(j)
	return h != platformv1.HealthProgressing
}

// CronJobWorkload judges a CronJob by its last finished run, given the
// Jobs it created (those whose controller reference names it; others are
// ignored): a last run that failed is Degraded with that Job's condition.
// A run in progress does not count, nor does a suspended schedule. When
// no finished Job is left (history limits, TTL), the CronJob's own status
// says whether the last scheduled run succeeded.
func CronJobWorkload(cj *batchv1.CronJob, jobs []batchv1.Job) Workload {
	w := Workload{Kind: "CronJob", Namespace: cj.Namespace, Name: cj.Name, Judged: &Judgement{Health: platformv1.HealthHealthy}}
	var last *batchv1.Job
	for i := range jobs {
		j := &jobs[i]
		if !createdBy(j, cj) || !jobFinished(j) {
			continue
		}
		if last == nil || newer(j, last) {
			last = j
		}
	}
	if last != nil {
		if h, msg := jobHealth(last); h == platformv1.HealthDegraded {
			w.Judged = &Judgement{Health: h, Message: fmt.Sprintf("%s: last run, Job %s, %s", w, last.Name, msg)}
		}
		return w
	}
	s := cj.Status
	if s.LastScheduleTime != nil && len(s.Active) == 0 && (s.LastSuccessfulTime == nil || s.LastSuccessfulTime.Before(s.LastScheduleTime)) {
		w.Judged = &Judgement{Health: platformv1.HealthDegraded, Message: fmt.Sprintf("%s: the run scheduled at %s did not succeed (its Job is gone)",
			w, s.LastScheduleTime.UTC().Format("2006-01-02T15:04:05Z"))}
	}
	return w
}

// createdBy: j's controller reference is cj.
func createdBy(j *batchv1.Job, cj *batchv1.CronJob) bool {
	if j.Namespace != cj.Namespace {
		return false
	}
	ref := metav1.GetControllerOf(j)
	return ref != nil && ref.Kind == "CronJob" && ref.Name == cj.Name && (cj.UID == "" || ref.UID == cj.UID)
}

// newer orders a CronJob's Jobs by creation, then name (the controller
// names them after the scheduled minute).
func newer(a, b *batchv1.Job) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return b.CreationTimestamp.Before(&a.CreationTimestamp)
	}
	return a.Name > b.Name
}
