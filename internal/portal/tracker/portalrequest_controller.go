package tracker

import (
	"context"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/fluxobj"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/generate/flux"
	"github.com/openova-io/openova/internal/portal"
)

// Flux's labels on every object kustomize-controller applies.
const (
	fluxNameLabel      = "kustomize.toolkit.fluxcd.io/name"
	fluxNamespaceLabel = "kustomize.toolkit.fluxcd.io/namespace"
)

// EventRecorder is the part of controller-runtime's recorder (events API)
// the tracker uses.
type EventRecorder interface {
	Eventf(regarding runtime.Object, related runtime.Object, eventtype, reason, action, note string, args ...any)
}

// Deps are what the tracker needs besides the cluster.
type Deps struct {
	// Forge reads pull requests of Repo, the instance repository.
	Forge *forge.Client
	Repo  forge.Repo
	// Kustomization applies merged requests; flux-system/requests when empty.
	Kustomization types.NamespacedName
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// Reconciler follows PortalRequests.
type Reconciler struct {
	client.Client
	Deps
	Recorder EventRecorder
}

// SetupWithManager registers the tracker with mgr.
func SetupWithManager(mgr ctrl.Manager, deps Deps) error {
	r := &Reconciler{Client: mgr.GetClient(), Deps: deps, Recorder: mgr.GetEventRecorder("portal-tracker")}
	return ctrl.NewControllerManagedBy(mgr).Named("portalrequest").For(&platformv1.PortalRequest{}).Complete(r)
}

func (r *Reconciler) now() time.Time {
	if r.Now == nil {
		return time.Now()
	}
	return r.Now()
}

func (r *Reconciler) kustomization() types.NamespacedName {
	if r.Kustomization.Name == "" {
		return types.NamespacedName{Namespace: fluxobj.DefaultNamespace, Name: flux.RequestsKustomization}
	}
	return r.Kustomization
}

// Reconcile observes one request, decides, and patches its status once.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	logger := log.FromContext(ctx)
	var pr platformv1.PortalRequest
	if err := r.Get(ctx, req.NamespacedName, &pr); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if final(pr.Status.Phase) {
		return ctrl.Result{}, nil
	}
	o, err := r.observe(ctx, &pr)
	if err != nil {
		return ctrl.Result{}, err
	}
	d := decide(o)
	orig := pr.DeepCopy()
	r.apply(&pr, d)
	if err := r.Status().Patch(ctx, &pr, client.MergeFrom(orig)); err != nil {
		return ctrl.Result{}, fmt.Errorf("patch status of PortalRequest %s: %w", req.NamespacedName, err)
	}
	if d.eventReason != "" {
		logger.Info("portal request moved", "phase", d.phase, "reason", d.reason)
		if r.Recorder != nil {
			r.Recorder.Eventf(&pr, nil, d.eventType, d.eventReason, "Track", "%s", d.message)
		}
		if !final(d.phase) {
			return ctrl.Result{RequeueAfter: time.Second}, nil // look at the next phase soon
		}
	}
	if !d.wait {
		return ctrl.Result{}, nil
	}
	since := r.now().Sub(readySince(&pr))
	return ctrl.Result{RequeueAfter: backoff(since)}, nil
}

func final(p platformv1.RequestPhase) bool {
	return p == platformv1.PhaseReady || p == platformv1.PhaseFailed
}

// apply records the decision: phase, reason, message, merge commit,
// connection Secret name and the Ready condition.
func (r *Reconciler) apply(pr *platformv1.PortalRequest, d decision) {
	st := &pr.Status
	st.Phase, st.Reason, st.Message = d.phase, d.reason, d.message
	if d.mergeCommit != "" && st.PullRequest != nil {
		st.PullRequest.MergeCommit = d.mergeCommit
	}
	if d.connection != "" {
		st.ConnectionSecret = d.connection
	}
	c := metav1.Condition{Type: "Ready", Status: metav1.ConditionFalse, Reason: string(d.phase), Message: d.message, ObservedGeneration: pr.Generation,
		LastTransitionTime: metav1.NewTime(r.now())}
	switch {
	case d.phase == platformv1.PhaseReady:
		c.Status = metav1.ConditionTrue
	case d.phase == platformv1.PhaseFailed:
		c.Reason = d.reason
	case c.Reason == "":
		c.Reason = string(platformv1.PhaseOpen)
	}
	if old := meta.FindStatusCondition(st.Conditions, "Ready"); old != nil && old.Reason != c.Reason {
		old.Status = metav1.ConditionUnknown // a new phase restarts the backoff
	}
	meta.SetStatusCondition(&st.Conditions, c)
}

// readySince is when the request entered its current phase.
func readySince(pr *platformv1.PortalRequest) time.Time {
	if c := meta.FindStatusCondition(pr.Status.Conditions, "Ready"); c != nil {
		return c.LastTransitionTime.Time
	}
	return pr.CreationTimestamp.Time
}

// observe reads what the phase needs: Gitea while Open, Flux's
// Kustomization and the object while Merged, the object while Applied. It
// never reads a Secret: the operator's status says when it made one.
func (r *Reconciler) observe(ctx context.Context, pr *platformv1.PortalRequest) (observation, error) {
	o := observation{status: pr.Status, secret: pr.Annotations[portal.AnnotationConnectionSecret]}
	ns, name := pr.Labels[portal.LabelNamespace], pr.Labels[portal.LabelName]
	switch pr.Status.Phase {
	case platformv1.PhaseOpen, "":
		if pr.Status.PullRequest == nil {
			return o, nil
		}
		got, err := r.Forge.PullRequest(ctx, r.Repo, pr.Status.PullRequest.Number)
		if err != nil {
			return o, fmt.Errorf("read pull request #%d of %s: %w", pr.Status.PullRequest.Number, r.Repo, err)
		}
		o.pr = &got
		return o, nil
	case platformv1.PhaseMerged:
		var err error
		if o.kust, err = r.readKustomization(ctx); err != nil {
			return o, err
		}
	}
	var err error
	if o.object, err = r.readObject(ctx, pr.Annotations[portal.AnnotationReady], pr.Annotations[portal.AnnotationSecretField], ns, name); err != nil {
		return o, err
	}
	return o, nil
}

func (r *Reconciler) readKustomization(ctx context.Context) (kustomization, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(schema.GroupVersionKind{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Kind: "Kustomization"})
	key := r.kustomization()
	if err := r.Get(ctx, key, u); err != nil {
		if apierrors.IsNotFound(err) {
			return kustomization{}, nil
		}
		return kustomization{}, fmt.Errorf("read Kustomization %s: %w", key, err)
	}
	k := kustomization{found: true}
	k.lastApplied, _, _ = unstructured.NestedString(u.Object, "status", "lastAppliedRevision")
	k.lastAttempted, _, _ = unstructured.NestedString(u.Object, "status", "lastAttemptedRevision")
	k.ready, k.reason, k.message = readyCondition(u)
	return k, nil
}

// readObject reads the object named by the ready-object annotation
// ("<apiVersion> <Kind>") in the request's namespace.
func (r *Reconciler) readObject(ctx context.Context, ref, secretField, namespace, name string) (resource, error) {
	apiVersion, kind, ok := strings.Cut(ref, " ")
	if !ok {
		return resource{}, fmt.Errorf("annotation %s is %q, want \"<apiVersion> <Kind>\"; the portal sets it", portal.AnnotationReady, ref)
	}
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	if err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, u); err != nil {
		if apierrors.IsNotFound(err) {
			return resource{}, nil
		}
		return resource{}, fmt.Errorf("read %s %s/%s: %w", kind, namespace, name, err)
	}
	k := r.kustomization()
	res := resource{found: true, appliedByFlux: u.GetLabels()[fluxNameLabel] == k.Name && u.GetLabels()[fluxNamespaceLabel] == k.Namespace}
	res.ready, res.reason, res.message = readyCondition(u)
	// No field to read: the renderer said the object cannot be Ready
	// without the Secret (a HelmRelease whose pods mount it).
	res.secretCreated = secretField == ""
	if secretField != "" {
		v, _, _ := unstructured.NestedString(u.Object, strings.Split(secretField, ".")...)
		res.secretCreated = v != ""
	}
	return res, nil
}

func readyCondition(u *unstructured.Unstructured) (metav1.ConditionStatus, string, string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Ready" {
			s, _ := m["status"].(string)
			reason, _ := m["reason"].(string)
			msg, _ := m["message"].(string)
			return metav1.ConditionStatus(s), reason, msg
		}
	}
	return metav1.ConditionUnknown, "", ""
}
