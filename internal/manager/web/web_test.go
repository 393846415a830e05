package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"code.gitea.io/sdk/gitea"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/giteatest"
	"github.com/openova-io/openova/internal/manager"
	"github.com/openova-io/openova/internal/manager/managertest"
	"github.com/openova-io/openova/internal/manager/web"
	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, func(e *testenv.Env) { env = e })
}

const token = "test-admin-token"

// helmRelease creates a HelmRelease and sets its status the way
// helm-controller does (conditions for the current generation).
func helmRelease(t *testing.T, name, component string, deps []string, conds map[string]metav1.ConditionStatus, reason, msg string) {
	t.Helper()
	ctx := context.Background()
	var dependsOn []any
	for _, d := range deps {
		dependsOn = append(dependsOn, map[string]any{"name": d, "namespace": "flux-system"})
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
		"metadata": map[string]any{"name": name, "namespace": "flux-system", "labels": map[string]any{manager.BlueprintLabel: component}},
		"spec": map[string]any{"interval": "10m", "dependsOn": dependsOn,
			"chart": map[string]any{"spec": map[string]any{"chart": name, "version": "1.0.0",
				"sourceRef": map[string]any{"kind": "HelmRepository", "name": name}}}},
	}}
	if deps == nil {
		unstructured.RemoveNestedField(u.Object, "spec", "dependsOn")
	}
	if err := env.EnsureNamespace(ctx, "flux-system"); err != nil {
		t.Fatal(err)
	}
	if err := env.Client.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Format(time.RFC3339)
	var cs []any
	for typ, s := range conds {
		cs = append(cs, map[string]any{"type": typ, "status": string(s), "reason": reason, "message": msg,
			"observedGeneration": u.GetGeneration(), "lastTransitionTime": now})
	}
	u.Object["status"] = map[string]any{"observedGeneration": u.GetGeneration(), "conditions": cs}
	if err := env.Client.Status().Update(ctx, u); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, c *http.Client, u string, bearer bool) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if bearer {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The dashboard against kube-apiserver (HelmReleases with helm-controller's
// status, Events, a PortalRequest) and a real Gitea: the Upgrade button
// opens a pull request whose branch differs from main only in that
// component's files and the lock.
func TestDashboard(t *testing.T) {
	ctx := context.Background()
	srv := giteatest.Start(t)
	fc := srv.Client(t)
	repo := forge.Repo{Owner: "acme", Name: "instance"}
	old := managertest.Embedded(t)
	managertest.Seed(t, fc, repo, managertest.Files(t, "../../..", "one-region", old))
	cat := managertest.Newer(t, "cert-manager")
	if _, err := manager.PublishBlueprints(ctx, env.Client, cat); err != nil {
		t.Fatal(err)
	}
	certManager, _ := old.Blueprint("cert-manager")
	pi := &platformv1.PlatformInstance{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: platformv1.PlatformInstanceSpec{
		Tenant: "acme", Regions: []string{"fsn"}, Components: []platformv1.InstalledComponent{
			{Name: "cert-manager", BlueprintVersion: certManager.Spec.Version, Releases: []platformv1.ReleaseRef{{Kind: platformv1.KindHelmRelease, Namespace: "flux-system", Name: "cert-manager"}}},
			{Name: "keda", BlueprintVersion: "1.0.0", Releases: []platformv1.ReleaseRef{{Kind: platformv1.KindHelmRelease, Namespace: "flux-system", Name: "keda"}}},
		}}}
	if err := env.Client.Create(ctx, pi); err != nil {
		t.Fatal(err)
	}
	helmRelease(t, "cert-manager", "cert-manager", nil, map[string]metav1.ConditionStatus{"Ready": metav1.ConditionTrue}, "UpgradeSucceeded", "Helm upgrade succeeded")
	helmRelease(t, "keda", "keda", []string{"cert-manager"}, map[string]metav1.ConditionStatus{"Ready": metav1.ConditionFalse, "Stalled": metav1.ConditionTrue},
		"InstallFailed", "Helm install failed: context deadline exceeded")
	helmRelease(t, "grafana", "grafana", []string{"keda"}, map[string]metav1.ConditionStatus{"Reconciling": metav1.ConditionTrue}, "Progressing", "dependency 'flux-system/keda' is not ready")
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: "keda.1", Namespace: "flux-system"},
		InvolvedObject: corev1.ObjectReference{Kind: "HelmRelease", Namespace: "flux-system", Name: "keda", APIVersion: "helm.toolkit.fluxcd.io/v2"},
		Type:           corev1.EventTypeWarning, Reason: "InstallFailed", Message: "timed out waiting for the condition", Count: 2,
		LastTimestamp: metav1.Now(), Source: corev1.EventSource{Component: "helm-controller"}}
	if err := env.Client.Create(ctx, ev); err != nil {
		t.Fatal(err)
	}
	preq := &platformv1.PortalRequest{ObjectMeta: metav1.ObjectMeta{Name: "orders-db", Namespace: "default"},
		Spec: platformv1.PortalRequestSpec{Blueprint: "cnpg", RequestedBy: "dev@acme.example.com"}}
	if err := env.Client.Create(ctx, preq); err != nil {
		t.Fatal(err)
	}
	preq.Status = platformv1.PortalRequestStatus{Phase: platformv1.PhaseMerged, Message: "waiting for Flux to apply the merge commit",
		PullRequest: &platformv1.PullRequest{URL: srv.URL + "/acme/instance/pulls/9", Number: 9}}
	if err := env.Client.Status().Update(ctx, preq); err != nil {
		t.Fatal(err)
	}
	rec := &manager.Reconciler{Client: env.Client, Now: time.Now}
	if _, err := rec.Reconcile(ctx, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(pi)}); err != nil {
		t.Fatal(err)
	}

	actions := &manager.Actions{Forge: fc, Repo: repo, Base: "main", Catalog: cat, Client: env.Client,
		Author: forge.Signature{Name: "Catalyst", Email: "catalyst@acme.example.com"}}
	h, err := web.New(web.Options{Reader: env.Client, Actions: actions, Auth: web.TokenAuth{Token: token}, Catalog: cat,
		Portal: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "portal") })})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	defer ts.Close()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// Signed out: pages send to /login, the API says 401.
	if code, _ := get(t, noRedirect, ts.URL+"/", false); code != http.StatusSeeOther {
		t.Errorf("GET / signed out: %d", code)
	}
	if code, _ := get(t, noRedirect, ts.URL+"/api/v1/components", false); code != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/components signed out: %d", code)
	}
	if code, body := get(t, noRedirect, ts.URL+"/portal/x", false); code != 200 || body != "portal" {
		t.Errorf("the portal is not mounted at /portal/: %d %q", code, body)
	}

	// Components: health, support, versions, the changelog of the upgrade.
	var comps struct{ Instances []web.Instance }
	_, body := get(t, noRedirect, ts.URL+"/api/v1/components", true)
	if err := json.Unmarshal([]byte(body), &comps); err != nil || len(comps.Instances) != 1 {
		t.Fatalf("components: %v %s", err, body)
	}
	in := comps.Instances[0]
	if in.Health != platformv1.HealthDegraded || len(in.Components) != 2 {
		t.Errorf("instance %+v", in)
	}
	cm := in.Components[0]
	if cm.Name != "cert-manager" || cm.Health != platformv1.HealthHealthy || !cm.UpgradeAvailable || cm.Available != managertest.NewVersion ||
		len(cm.Changelog) != 1 || cm.Changelog[0].Changes[0] != "test upgrade of cert-manager" {
		t.Errorf("cert-manager row %+v", cm)
	}

	// Graph: layers by dependsOn, keda is where the rollout is stuck.
	var g web.Graph
	_, body = get(t, noRedirect, ts.URL+"/api/v1/graph", true)
	if err := json.Unmarshal([]byte(body), &g); err != nil {
		t.Fatal(err)
	}
	layerOf := map[string]int{}
	var keda web.Node
	for _, n := range g.Nodes {
		layerOf[n.Name] = n.Layer
		if n.Name == "keda" {
			keda = n
		}
	}
	if layerOf["cert-manager"] != 0 || layerOf["keda"] != 1 || layerOf["grafana"] != 2 {
		t.Errorf("layers %v", layerOf)
	}
	for _, n := range g.Nodes {
		if n.Name == "grafana" && (n.State != "Reconciling" || !strings.Contains(n.Message, "dependency 'flux-system/keda' is not ready")) {
			t.Errorf("grafana waits on keda: %+v", n)
		}
	}
	if !slices.Equal(g.Stuck, []string{"flux-system/keda"}) || keda.State != "Stalled" || len(keda.Events) != 1 ||
		!strings.Contains(keda.Message, "context deadline exceeded") {
		t.Errorf("stuck %v, keda %+v", g.Stuck, keda)
	}

	// Requests: the path stops at "Applied by Flux", with the reason.
	var reqs struct{ Requests []web.Request }
	_, body = get(t, noRedirect, ts.URL+"/api/v1/requests", true)
	if err := json.Unmarshal([]byte(body), &reqs); err != nil || len(reqs.Requests) != 1 {
		t.Fatalf("requests: %v %s", err, body)
	}
	steps := reqs.Requests[0].Steps
	if steps[0].State != "done" || steps[1].State != "done" || steps[2].State != "current" || steps[3].State != "pending" ||
		!strings.Contains(steps[2].Note, "waiting for Flux") {
		t.Errorf("steps %+v", steps)
	}
	if code, page := get(t, noRedirect, ts.URL+"/explorer", true); code != 200 || !strings.Contains(page, `class="node stalled blocking"`) ||
		!strings.Contains(page, "step current") {
		t.Errorf("explorer page: %d\n%s", code, page)
	}

	// A browser: sign in, then the Upgrade button (the form's CSRF token required).
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.PostForm(ts.URL+"/login", url.Values{"token": {"wrong"}})
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong token: %v %v", resp.StatusCode, err)
	}
	if resp, err = browser.PostForm(ts.URL+"/login", url.Values{"token": {token}}); err != nil || resp.StatusCode != 200 {
		t.Fatalf("sign in: %v %v", resp.StatusCode, err)
	}
	code, page := get(t, browser, ts.URL+"/", false)
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindStringSubmatch(page)
	if code != 200 || m == nil || !strings.Contains(page, `name="component" value="cert-manager"`) {
		t.Fatalf("dashboard: %d\n%s", code, page)
	}
	if resp, _ := browser.PostForm(ts.URL+"/actions/upgrade", url.Values{"component": {"cert-manager"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("upgrade without the form token: %d, want 403", resp.StatusCode)
	}
	resp, err = browser.PostForm(ts.URL+"/actions/upgrade", url.Values{"component": {"cert-manager"}, "csrf": {m[1]}})
	if err != nil {
		t.Fatal(err)
	}
	result, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(result), "catalyst/upgrade-cert-manager-9.9.9") {
		t.Fatalf("upgrade: %d\n%s", resp.StatusCode, result)
	}
	main, _, err := fc.Snapshot(ctx, repo, "main")
	if err != nil {
		t.Fatal(err)
	}
	branch, _, err := fc.Snapshot(ctx, repo, "catalyst/upgrade-cert-manager-9.9.9")
	if err != nil {
		t.Fatal(err)
	}
	changed := managertest.Changed(main, branch)
	if !slices.Contains(changed, "openova.lock") || len(changed) < 2 {
		t.Errorf("the upgrade pull request changed %v", changed)
	}
	for _, p := range changed {
		if !managertest.LockOrTwin(p) && !strings.Contains(p, "/cert-manager/") {
			t.Errorf("%s changed by the cert-manager upgrade", p)
		}
	}
	// The body names the component, the changelog and who asked.
	api, err := gitea.NewClient(srv.URL, gitea.SetToken(srv.AdminToken), gitea.SetGiteaVersion(""))
	if err != nil {
		t.Fatal(err)
	}
	prs, _, err := api.ListRepoPullRequests(repo.Owner, repo.Name, gitea.ListPullRequestsOptions{State: gitea.StateOpen})
	if err != nil || len(prs) != 1 {
		t.Fatalf("open pull requests: %d %v", len(prs), err)
	}
	for _, want := range []string{"Upgrade cert-manager " + certManager.Spec.Version + " → 9.9.9", "test upgrade of cert-manager", "Requested by admin-session"} {
		if !strings.Contains(prs[0].Title+"\n"+prs[0].Body, want) {
			t.Errorf("pull request lacks %q:\n%s\n%s", want, prs[0].Title, prs[0].Body)
		}
	}
	// The dashboard now links the pull request instead of the button.
	if _, page := get(t, browser, ts.URL+"/", false); !strings.Contains(page, "Upgrade pull request #") {
		t.Errorf("dashboard does not link the upgrade pull request")
	}
	// An invalid enable is refused naming the field.
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/actions/enable", strings.NewReader("name=nosuch"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(b), "spec.components[0]") {
		t.Errorf("enable nosuch: %d %s", resp.StatusCode, b)
	}
}
