package tracker_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/giteatest"
	"github.com/openova-io/openova/internal/portal"
	"github.com/openova-io/openova/internal/portal/portaltest"
	"github.com/openova-io/openova/internal/portal/render"
	"github.com/openova-io/openova/internal/portal/tracker"
	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, func(e *testenv.Env) { env = e })
}

// events records what the tracker reports; the events API itself is
// client-go's, not under test here.
type events struct {
	mu   sync.Mutex
	list []string
}

func (e *events) Eventf(_ runtime.Object, _ runtime.Object, eventtype, reason, _, note string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.list = append(e.list, eventtype+" "+reason+": "+note)
}

var (
	kustGVR    = schema.GroupVersionResource{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Resource: "kustomizations"}
	clusterGVR = schema.GroupVersionResource{Group: "postgresql.cnpg.io", Version: "v1", Resource: "clusters"}
)

type rig struct {
	t      *testing.T
	ctx    context.Context
	srv    *giteatest.Server
	repo   forge.Repo
	svc    *portal.Service
	rec    *tracker.Reconciler
	events *events
	clock  time.Time
}

func newRig(t *testing.T) *rig {
	ctx := context.Background()
	srv := giteatest.Start(t)
	cat := portaltest.Catalog(t)
	repo := portaltest.Seed(t, srv, cat, "two-region.yaml")
	r := &rig{t: t, ctx: ctx, srv: srv, repo: repo, svc: portaltest.Service(t, srv, env.Client, cat, repo), events: &events{},
		clock: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)}
	r.rec = &tracker.Reconciler{Client: env.Client, Recorder: r.events,
		Deps: tracker.Deps{Forge: srv.Client(t), Repo: repo, Now: func() time.Time { return r.clock }}}
	for _, ns := range []string{portaltest.RequestsNamespace, "flux-system", "payments", "payments-staging"} {
		if err := env.EnsureNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	r.ensureKustomization(repo)
	return r
}

// ensureKustomization creates the requests Kustomization exactly as the
// generator wrote it into the seeded repository (clusters/fsn/layers.yaml).
func (r *rig) ensureKustomization(repo forge.Repo) {
	files, _, err := r.svc.Forge.Snapshot(r.ctx, repo, "main")
	if err != nil {
		r.t.Fatal(err)
	}
	for _, o := range decode(r.t, files["clusters/fsn/layers.yaml"]) {
		if o.GetName() == "requests" {
			_ = env.Dynamic.Resource(kustGVR).Namespace("flux-system").Delete(r.ctx, "requests", metav1.DeleteOptions{})
			if err := env.Apply(r.ctx, o); err != nil {
				r.t.Fatal(err)
			}
			return
		}
	}
	r.t.Fatal("the generated clusters/fsn/layers.yaml has no requests Kustomization")
}

// reconcile runs one reconcile an hour of fake time after the last and
// returns the stored request.
func (r *rig) reconcile(name string) (*platformv1.PortalRequest, ctrl.Result) {
	r.t.Helper()
	r.clock = r.clock.Add(time.Hour)
	res, err := r.rec.Reconcile(r.ctx, ctrl.Request{NamespacedName: client.ObjectKey{Namespace: portaltest.RequestsNamespace, Name: name}})
	if err != nil {
		r.t.Fatal(err)
	}
	var pr platformv1.PortalRequest
	if err := env.Client.Get(r.ctx, client.ObjectKey{Namespace: portaltest.RequestsNamespace, Name: name}, &pr); err != nil {
		r.t.Fatal(err)
	}
	return &pr, res
}

func (r *rig) expect(pr *platformv1.PortalRequest, phase platformv1.RequestPhase, says string) {
	r.t.Helper()
	if pr.Status.Phase != phase || !strings.Contains(pr.Status.Message, says) {
		r.t.Fatalf("phase %s (%s: %s), want %s saying %q", pr.Status.Phase, pr.Status.Reason, pr.Status.Message, phase, says)
	}
}

// playFlux does what kustomize-controller does after the merge: it applies
// the region's files from main with its labels, and records the revision.
// The Barman Cloud ObjectStore is not applied: its CRD is not available to
// tests (see render's noCRD).
func (r *rig) playFlux(namespace, name, mergeCommit string) {
	files, commit, err := r.svc.Forge.Snapshot(r.ctx, r.repo, "main")
	if err != nil {
		r.t.Fatal(err)
	}
	if commit != mergeCommit {
		r.t.Fatalf("main is at %s, the recorded merge commit is %s", commit, mergeCommit)
	}
	manifest, ok := files[render.Dir("fsn", namespace, name)+"/"+render.ManifestFile]
	if !ok {
		r.t.Fatal("the merged main lacks the request's manifests")
	}
	for _, o := range decode(r.t, manifest) {
		if o.GetKind() == "ObjectStore" {
			continue
		}
		l := o.GetLabels()
		l["kustomize.toolkit.fluxcd.io/name"], l["kustomize.toolkit.fluxcd.io/namespace"] = "requests", "flux-system"
		o.SetLabels(l)
		if err := env.Apply(r.ctx, o); err != nil {
			r.t.Fatal(err)
		}
	}
	r.kustomizationStatus("True", "ReconciliationSucceeded", "Applied revision: main@sha1:"+commit, commit)
}

func (r *rig) kustomizationStatus(status, reason, message, revision string) {
	k, err := env.Dynamic.Resource(kustGVR).Namespace("flux-system").Get(r.ctx, "requests", metav1.GetOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	st := map[string]any{"lastAttemptedRevision": "main@sha1:" + revision, "observedGeneration": k.GetGeneration(),
		"conditions": []any{map[string]any{"type": "Ready", "status": status, "reason": reason, "message": message,
			"lastTransitionTime": r.clock.Format(time.RFC3339)}}}
	if status == "True" {
		st["lastAppliedRevision"] = "main@sha1:" + revision
	}
	k.Object["status"] = st
	if _, err := env.Dynamic.Resource(kustGVR).Namespace("flux-system").UpdateStatus(r.ctx, k, metav1.UpdateOptions{}); err != nil {
		r.t.Fatal(err)
	}
}

const secretValue = "pg-app-password-never-shown-4b1d"

// playCNPG does what the CloudNativePG operator does once the instances
// run: the Cluster's Ready condition, then (withSecret) the app user's
// Secret, whose resourceVersion it records in the Cluster's status.
func (r *rig) playCNPG(namespace, name string, withSecret bool) {
	c, err := env.Dynamic.Resource(clusterGVR).Namespace(namespace).Get(r.ctx, name, metav1.GetOptions{})
	if err != nil {
		r.t.Fatal(err)
	}
	st := map[string]any{"phase": "Cluster in healthy state", "readyInstances": int64(3), "instances": int64(3),
		"conditions": []any{map[string]any{"type": "Ready", "status": "True", "reason": "ClusterIsReady", "message": "Cluster is Ready",
			"lastTransitionTime": r.clock.Format(time.RFC3339)}}}
	if withSecret {
		s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name + "-app", Namespace: namespace},
			Type: corev1.SecretTypeBasicAuth, StringData: map[string]string{"username": "app", "password": secretValue,
				"uri": "postgresql://app:" + secretValue + "@" + name + "-rw." + namespace + ":5432/app"}}
		if err := env.Client.Create(r.ctx, s); err != nil {
			r.t.Fatal(err)
		}
		st["secretsResourceVersion"] = map[string]any{"applicationSecretVersion": s.ResourceVersion}
	}
	c.Object["status"] = st
	if _, err := env.Dynamic.Resource(clusterGVR).Namespace(namespace).UpdateStatus(r.ctx, c, metav1.UpdateOptions{}); err != nil {
		r.t.Fatal(err)
	}
}

// The journey end to end: real Gitea (the reviewer merges), real
// kube-apiserver; the test plays Flux and the CNPG operator (neither can
// run here) exactly where they would act.
func TestTier1PostgresToReady(t *testing.T) {
	r := newRig(t)
	pr, err := r.svc.Submit(r.ctx, portaltest.Tier1())
	if err != nil {
		t.Fatal(err)
	}
	phases := []platformv1.RequestPhase{pr.Status.Phase}
	note := func(p *platformv1.PortalRequest) {
		if last := phases[len(phases)-1]; p.Status.Phase != last {
			phases = append(phases, p.Status.Phase)
		}
	}

	got, res := r.reconcile(pr.Name)
	r.expect(got, platformv1.PhaseOpen, "waiting for a reviewer")
	if res.RequeueAfter <= 0 {
		t.Error("an open request is looked at again later")
	}

	r.srv.Merge(t, r.repo, pr.Status.PullRequest.Number)
	got, _ = r.reconcile(pr.Name)
	r.expect(got, platformv1.PhaseMerged, "waiting for Flux")
	note(got)
	merged, err := r.svc.Forge.PullRequest(r.ctx, r.repo, pr.Status.PullRequest.Number)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status.PullRequest.MergeCommit != merged.MergeCommit || merged.MergeCommit == "" {
		t.Fatalf("merge commit %q recorded, Gitea says %q", got.Status.PullRequest.MergeCommit, merged.MergeCommit)
	}

	got, _ = r.reconcile(pr.Name)
	r.expect(got, platformv1.PhaseMerged, "waiting for Flux to fetch and apply it")

	r.playFlux("payments", "orders-db", merged.MergeCommit)
	got, _ = r.reconcile(pr.Name)
	r.expect(got, platformv1.PhaseApplied, "waiting for the operator")
	note(got)

	got, res = r.reconcile(pr.Name)
	r.expect(got, platformv1.PhaseApplied, "waiting for the operator")
	if res.RequeueAfter <= 0 {
		t.Error("an applied request is looked at again later")
	}

	r.playCNPG("payments", "orders-db", false)
	got, _ = r.reconcile(pr.Name)
	r.expect(got, platformv1.PhaseApplied, "waiting for its Secret orders-db-app")

	r.playCNPG("payments", "orders-db", true)
	got, res = r.reconcile(pr.Name)
	r.expect(got, platformv1.PhaseReady, "Secret orders-db-app")
	note(got)
	if got.Status.ConnectionSecret != "orders-db-app" || res.RequeueAfter != 0 {
		t.Fatalf("connection secret %q, requeue %s", got.Status.ConnectionSecret, res.RequeueAfter)
	}

	if s := strings.Join(phaseNames(phases), " → "); s != "Open → Merged → Applied → Ready" {
		t.Fatalf("phases %s", s)
	}
	if s := strings.Join(r.events.list, "\n"); !strings.Contains(s, "Normal Merged") || !strings.Contains(s, "Normal Applied") || !strings.Contains(s, "Normal Ready") {
		t.Errorf("events:\n%s", s)
	}
	raw, _ := json.Marshal(got)
	if bytes.Contains(raw, []byte(secretValue)) || strings.Contains(strings.Join(r.events.list, ""), secretValue) {
		t.Fatal("the connection secret's value leaked into the PortalRequest or an event")
	}
	for _, c := range got.Status.Conditions {
		if c.Type == "Ready" && c.Status != metav1.ConditionTrue {
			t.Errorf("Ready condition %+v", c)
		}
	}
	t.Logf("PortalRequest status: %s", mustJSON(got.Status))
}

func TestClosedAndFailedRequests(t *testing.T) {
	r := newRig(t)

	closed := portaltest.Tier1()
	closed.Name = "abandoned"
	pr, err := r.svc.Submit(r.ctx, closed)
	if err != nil {
		t.Fatal(err)
	}
	r.srv.Close(t, r.repo, pr.Status.PullRequest.Number)
	got, res := r.reconcile(pr.Name)
	if got.Status.Phase != platformv1.PhaseFailed || got.Status.Reason != platformv1.ReasonPullRequestClosed || res.RequeueAfter != 0 {
		t.Fatalf("closed PR: %+v", got.Status)
	}

	bad := portaltest.Tier1()
	bad.Name, bad.Namespace = "broken", "payments-staging"
	pr, err = r.svc.Submit(r.ctx, bad)
	if err != nil {
		t.Fatal(err)
	}
	r.srv.Merge(t, r.repo, pr.Status.PullRequest.Number)
	got, _ = r.reconcile(pr.Name)
	r.expect(got, platformv1.PhaseMerged, "")
	r.kustomizationStatus("False", "ReconciliationFailed", "Cluster/payments-staging/broken dry-run failed: admission webhook denied", got.Status.PullRequest.MergeCommit)
	got, _ = r.reconcile(pr.Name)
	if got.Status.Phase != platformv1.PhaseFailed || got.Status.Reason != platformv1.ReasonApplyFailed || !strings.Contains(got.Status.Message, "admission webhook denied") {
		t.Fatalf("apply failure: %+v", got.Status)
	}
	got, _ = r.reconcile(pr.Name)
	if got.Status.Phase != platformv1.PhaseFailed {
		t.Fatal("Failed is final")
	}
	if s := strings.Join(r.events.list, "\n"); strings.Count(s, "Warning ") != 2 {
		t.Errorf("want two warnings:\n%s", s)
	}
}

func phaseNames(ps []platformv1.RequestPhase) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	return out
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func decode(t *testing.T, data []byte) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return out
			}
			t.Fatal(err)
		}
		if len(m) > 0 {
			out = append(out, &unstructured.Unstructured{Object: m})
		}
	}
}
