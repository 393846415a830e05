package tracker

import (
	"strings"
	"testing"
	"time"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/forge"
)

const merge = "0123456789abcdef0123456789abcdef01234567"

func at(phase platformv1.RequestPhase) platformv1.PortalRequestStatus {
	return platformv1.PortalRequestStatus{Phase: phase, PullRequest: &platformv1.PullRequest{Number: 7, URL: "http://x/pr/7", MergeCommit: mergeIf(phase)}}
}

func mergeIf(p platformv1.RequestPhase) string {
	if p == platformv1.PhaseOpen {
		return ""
	}
	return merge
}

func TestDecide(t *testing.T) {
	for name, tc := range map[string]struct {
		o                 observation
		phase             platformv1.RequestPhase
		reason, mergeSeen string
		wait              bool
		says              string
	}{
		"open PR waits": {o: observation{status: at(platformv1.PhaseOpen), pr: &forge.PullRequest{Number: 7, State: forge.PROpen}},
			phase: platformv1.PhaseOpen, wait: true, says: "waiting for a reviewer"},
		"merged PR": {o: observation{status: at(platformv1.PhaseOpen), pr: &forge.PullRequest{Number: 7, State: forge.PRMerged, MergeCommit: merge}},
			phase: platformv1.PhaseMerged, mergeSeen: merge, says: "merged as 0123456789ab"},
		"closed PR": {o: observation{status: at(platformv1.PhaseOpen), pr: &forge.PullRequest{Number: 7, State: forge.PRClosed}},
			phase: platformv1.PhaseFailed, reason: platformv1.ReasonPullRequestClosed, says: "closed without merging"},
		"merged, Flux not there yet": {o: observation{status: at(platformv1.PhaseMerged), kust: kustomization{found: true, ready: "True", lastApplied: "main@sha1:old"}},
			phase: platformv1.PhaseMerged, wait: true, says: "applied so far: main@sha1:old"},
		"merged, no requests Kustomization": {o: observation{status: at(platformv1.PhaseMerged)},
			phase: platformv1.PhaseMerged, wait: true, says: "Kustomization requests"},
		"applied by Flux": {o: observation{status: at(platformv1.PhaseMerged), object: resource{found: true, appliedByFlux: true}},
			phase: platformv1.PhaseApplied},
		"object applied by hand is not Flux's": {o: observation{status: at(platformv1.PhaseMerged), object: resource{found: true},
			kust: kustomization{found: true, ready: "True"}}, phase: platformv1.PhaseMerged, wait: true},
		"Flux failed at the merge": {o: observation{status: at(platformv1.PhaseMerged), kust: kustomization{found: true, ready: "False",
			reason: "ReconciliationFailed", message: "Cluster/payments/orders-db dry-run failed", lastAttempted: "main@sha1:" + merge}},
			phase: platformv1.PhaseFailed, reason: platformv1.ReasonApplyFailed, says: "dry-run failed"},
		"Flux failed at another commit": {o: observation{status: at(platformv1.PhaseMerged), kust: kustomization{found: true, ready: "False",
			reason: "ReconciliationFailed", message: "boom", lastAttempted: "main@sha1:other"}},
			phase: platformv1.PhaseMerged, wait: true, says: "not ready (ReconciliationFailed: boom)"},
		"Flux still progressing at the merge": {o: observation{status: at(platformv1.PhaseMerged), kust: kustomization{found: true, ready: "False",
			reason: "Progressing", lastAttempted: "main@sha1:" + merge}}, phase: platformv1.PhaseMerged, wait: true},
		"operator working": {o: observation{status: at(platformv1.PhaseApplied), object: resource{found: true, ready: "False", message: "Setting up primary"}, secret: "orders-db-app"},
			phase: platformv1.PhaseApplied, wait: true, says: "Setting up primary"},
		"ready without Secret": {o: observation{status: at(platformv1.PhaseApplied), object: resource{found: true, ready: "True"}, secret: "orders-db-app"},
			phase: platformv1.PhaseApplied, wait: true, says: "waiting for its Secret orders-db-app"},
		"ready": {o: observation{status: at(platformv1.PhaseApplied), object: resource{found: true, ready: "True", secretCreated: true}, secret: "orders-db-app"},
			phase: platformv1.PhaseReady, says: "Secret orders-db-app"},
		"failed is final": {o: observation{status: platformv1.PortalRequestStatus{Phase: platformv1.PhaseFailed, Reason: "PullRequestClosed"},
			pr: &forge.PullRequest{State: forge.PRMerged}}, phase: platformv1.PhaseFailed, reason: "PullRequestClosed"},
	} {
		t.Run(name, func(t *testing.T) {
			d := decide(tc.o)
			if d.phase != tc.phase || d.reason != tc.reason || d.wait != tc.wait || d.mergeCommit != tc.mergeSeen || !strings.Contains(d.message, tc.says) {
				t.Fatalf("decide = %+v; want phase %s reason %q wait %t merge %q message ~ %q", d, tc.phase, tc.reason, tc.wait, tc.mergeSeen, tc.says)
			}
			if (d.phase != tc.o.status.Phase) != (d.eventReason != "") {
				t.Errorf("an event is recorded exactly on a transition: %+v", d)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	for since, want := range map[time.Duration]time.Duration{0: 5 * time.Second, time.Minute: 15 * time.Second, time.Hour: 2 * time.Minute} {
		if got := backoff(since); got != want {
			t.Errorf("backoff(%s) = %s, want %s", since, got, want)
		}
	}
}
