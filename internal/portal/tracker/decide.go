// Package tracker follows each PortalRequest from its pull request to a
// ready resource: Open → Merged (the reviewer merged) → Applied (Flux
// applied the files) → Ready (the operator reports the resource ready and
// its connection Secret exists), or Failed with a reason. The decision is
// pure (decide); the reconciler only observes and records.
package tracker

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/forge"
)

// observation is everything the tracker read for one request.
type observation struct {
	status platformv1.PortalRequestStatus
	// pr is the pull request as Gitea has it (nil when not read).
	pr *forge.PullRequest
	// kust is the requests Kustomization's status.
	kust kustomization
	// object is the resource whose Ready condition makes the request ready.
	object resource
	// secret is the connection Secret's name.
	secret string
}

type kustomization struct {
	found                      bool
	lastApplied, lastAttempted string
	ready                      metav1.ConditionStatus
	reason, message            string
}

type resource struct {
	found bool
	// appliedByFlux: the object carries the labels kustomize-controller
	// puts on what it applies from Git.
	appliedByFlux   bool
	ready           metav1.ConditionStatus
	reason, message string
	// secretCreated: the object's status says the operator created the
	// connection Secret.
	secretCreated bool
}

// decision is the status to record; wait asks for a later look.
type decision struct {
	phase                   platformv1.RequestPhase
	reason, message         string
	mergeCommit, connection string
	wait                    bool
	eventType, eventReason  string // set on a transition
}

// decide moves a request at most one phase forward. Failed and Ready are
// final.
func decide(o observation) decision {
	d := decision{phase: o.status.Phase, reason: o.status.Reason, message: o.status.Message}
	switch o.status.Phase {
	case platformv1.PhaseOpen, "":
		return open(o, d)
	case platformv1.PhaseMerged:
		return merged(o, d)
	case platformv1.PhaseApplied:
		return applied(o, d)
	}
	return d
}

func open(o observation, d decision) decision {
	switch {
	case o.pr == nil:
		d.wait = true
	case o.pr.State == forge.PRMerged:
		return moved(d, platformv1.PhaseMerged, fmt.Sprintf("pull request #%d merged as %s; waiting for Flux to apply it", o.pr.Number, short(o.pr.MergeCommit)), o.pr.MergeCommit)
	case o.pr.State == forge.PRClosed:
		d = moved(d, platformv1.PhaseFailed, fmt.Sprintf("pull request #%d was closed without merging; submit the request again to reopen it", o.pr.Number), "")
		d.reason, d.eventType = platformv1.ReasonPullRequestClosed, "Warning"
		return d
	default:
		d.message, d.wait = fmt.Sprintf("pull request #%d is open; waiting for a reviewer to approve and merge it", o.pr.Number), true
	}
	return d
}

func merged(o observation, d decision) decision {
	merge := ""
	if o.status.PullRequest != nil {
		merge = o.status.PullRequest.MergeCommit
	}
	k := o.kust
	switch {
	case o.object.found && o.object.appliedByFlux:
		return moved(d, platformv1.PhaseApplied, "Flux applied the request; waiting for the operator to report it ready", "")
	case k.found && k.ready == metav1.ConditionFalse && atRevision(k.lastAttempted, merge) && !transient(k.reason):
		d = moved(d, platformv1.PhaseFailed, fmt.Sprintf("Flux could not apply %s: %s", short(merge), k.message), "")
		d.reason, d.eventType = platformv1.ReasonApplyFailed, "Warning"
		return d
	case !k.found:
		d.message = "waiting for the Flux Kustomization requests, which applies merged requests; is the instance generated with it?"
	case k.ready == metav1.ConditionFalse:
		d.message = fmt.Sprintf("waiting for Flux: Kustomization requests is not ready (%s: %s)", k.reason, k.message)
	default:
		d.message = fmt.Sprintf("merged as %s; waiting for Flux to fetch and apply it (applied so far: %s)", short(merge), k.lastApplied)
	}
	d.wait = true
	return d
}

func applied(o observation, d decision) decision {
	r := o.object
	switch {
	case r.ready == metav1.ConditionTrue && r.secretCreated:
		d = moved(d, platformv1.PhaseReady, fmt.Sprintf("ready; the application reads Secret %s", o.secret), "")
		d.connection = o.secret
		return d
	case r.ready == metav1.ConditionTrue:
		d.message = fmt.Sprintf("the resource is ready; waiting for its Secret %s", o.secret)
	case !r.found:
		d.message = "the resource is gone from the cluster; was its file removed from Git?"
	case r.message != "":
		d.message = "waiting for the operator: " + r.message
	default:
		d.message = "waiting for the operator to report the resource ready"
	}
	d.wait = true
	return d
}

func moved(d decision, to platformv1.RequestPhase, msg, mergeCommit string) decision {
	d.phase, d.message, d.mergeCommit, d.reason = to, msg, mergeCommit, ""
	d.eventType, d.eventReason = "Normal", string(to)
	return d
}

// atRevision: Flux writes revisions as <branch>@sha1:<hash>.
func atRevision(rev, commit string) bool {
	return commit != "" && (rev == commit || strings.HasSuffix(rev, ":"+commit))
}

// transient Kustomization reasons say Flux has not tried yet.
func transient(reason string) bool {
	return reason == "Progressing" || reason == "DependencyNotReady" || reason == "ArtifactFailed"
}

func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}

// backoff grows with the time spent waiting in a phase: a fresh request is
// looked at often, one waiting for a human reviewer rarely.
func backoff(since time.Duration) time.Duration {
	return min(max(since/4, 5*time.Second), 2*time.Minute)
}
