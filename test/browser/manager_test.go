package browser

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/giteatest"
	"github.com/openova-io/openova/internal/manager"
	"github.com/openova-io/openova/internal/manager/managertest"
	"github.com/openova-io/openova/internal/manager/web"
	"github.com/openova-io/openova/internal/testenv"
)

const managerToken = "browser-admin-token"

// TestManagerDashboard: a platform admin signs in with the admin token and
// sees the platform healthy; a HelmRelease that helm-controller reports
// failed shows as Degraded with its message on the dashboard and as Failed
// in the explorer; a Deployment with unready pods under a Ready release
// degrades its component on both pages, naming it; Upgrade on cert-manager, whose
// Blueprint announces a newer version, opens a pull request in the real
// Gitea touching only cert-manager's files. Real kube-apiserver, Gitea,
// lifecycle manager (reconciler and dashboard, wired as `catalyst
// manager` wires them) and Chromium; the test plays helm-controller and
// the Deployment controller by writing their status.
func TestManagerDashboard(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env, stop, err := testenv.StartSecond()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	if err := platformv1.AddToScheme(env.Scheme); err != nil {
		t.Fatal(err)
	}
	gitea := giteatest.Start(t)
	repo := forge.Repo{Owner: "acme", Name: "instance"}
	fc := gitea.Client(t)
	installed := managertest.Embedded(t)
	managertest.Seed(t, fc, repo, managertest.Files(t, "../..", "one-region", installed))
	newer := managertest.Newer(t, "cert-manager")
	if _, err := manager.PublishBlueprints(ctx, env.Client, newer); err != nil {
		t.Fatal(err)
	}

	for _, ns := range []string{"flux-system", "cert-manager"} {
		if err := env.EnsureNamespace(ctx, ns); err != nil {
			t.Fatal(err)
		}
	}
	cm, _ := installed.Blueprint("cert-manager")
	keda, _ := installed.Blueprint("keda")
	ref := func(name string) []platformv1.ReleaseRef {
		return []platformv1.ReleaseRef{{Kind: platformv1.KindHelmRelease, Namespace: "flux-system", Name: name}}
	}
	pi := &platformv1.PlatformInstance{ObjectMeta: metav1.ObjectMeta{Name: "acme"}, Spec: platformv1.PlatformInstanceSpec{
		Tenant: "acme", Regions: []string{"fsn"}, Components: []platformv1.InstalledComponent{
			{Name: "cert-manager", BlueprintVersion: cm.Spec.Version, AppVersion: cm.Spec.Upstream.AppVersion, Releases: ref("cert-manager")},
			{Name: "keda", BlueprintVersion: keda.Spec.Version, AppVersion: keda.Spec.Upstream.AppVersion, Releases: ref("keda")},
		}}}
	if err := env.Client.Create(ctx, pi); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"cert-manager", "keda"} {
		u := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
			"metadata": map[string]any{"name": name, "namespace": "flux-system", "labels": map[string]any{manager.BlueprintLabel: name}},
			"spec": map[string]any{"interval": "10m", "chart": map[string]any{"spec": map[string]any{"chart": name, "version": "1.0.0",
				"sourceRef": map[string]any{"kind": "HelmRepository", "name": name}}}},
		}}
		if err := env.Client.Create(ctx, u); err != nil {
			t.Fatal(err)
		}
		helmStatus(t, env, name, metav1.ConditionTrue, "InstallSucceeded", "Helm install succeeded")
	}

	mgr, _, err := manager.Setup(env.Config, manager.Options{MetricsAddr: "0", HealthAddr: "0"})
	if err != nil {
		t.Fatal(err)
	}
	actions, err := manager.NewActions(manager.Options{GiteaURL: gitea.URL, GiteaToken: gitea.AdminToken, Repo: repo.String(), Branch: "main"},
		newer, mgr.GetClient())
	if err != nil {
		t.Fatal(err)
	}
	h, err := web.New(web.Options{Reader: mgr.GetAPIReader(), Auth: web.TokenAuth{Token: managerToken}, Catalog: newer, Actions: actions})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	}()
	waitHealth(t, env, "cert-manager", platformv1.HealthHealthy)
	waitHealth(t, env, "keda", platformv1.HealthHealthy)

	b := browser(t)
	dir := artifacts(t)
	n := 0
	err = chromedp.Do(b,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="token"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="token"]`), managerToken),
		shot(dir, &n, "sign-in"),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#c-keda")),
		shot(dir, &n, "healthy"),
	)
	if err != nil {
		t.Fatalf("browser: %v (screenshots in %s)", err, dir)
	}
	if got := text(t, b, "#c-keda td:nth-child(2)"); !strings.Contains(got, "Healthy") {
		t.Fatalf("keda on the dashboard: %q, want Healthy", got)
	}

	// helm-controller fails keda's upgrade; a webhook pod of cert-manager
	// stops being ready under a release that stays Ready.
	const failure = "Helm upgrade failed for release flux-system/keda with chart keda@2.18.0: context deadline exceeded"
	helmStatus(t, env, "keda", metav1.ConditionFalse, "UpgradeFailed", failure)
	unreadyDeployment(t, env)
	waitHealth(t, env, "keda", platformv1.HealthDegraded)
	waitHealth(t, env, "cert-manager", platformv1.HealthDegraded)
	err = chromedp.Do(b, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#c-keda")), shot(dir, &n, "keda-failed"))
	if err != nil {
		t.Fatal(err)
	}
	if got := text(t, b, "#c-keda td:nth-child(2)"); !strings.Contains(got, "Degraded") || !strings.Contains(got, failure) {
		t.Errorf("keda on the dashboard: %q, want Degraded with helm-controller's message", got)
	}
	if got := text(t, b, "#c-cert-manager td:nth-child(2)"); !strings.Contains(got, "Degraded") ||
		!strings.Contains(got, "Deployment cert-manager/cert-manager-webhook: 1/2 ready") {
		t.Errorf("cert-manager on the dashboard: %q, want Degraded naming the unready Deployment", got)
	}
	err = chromedp.Do(b, chromedp.Navigate(srv.URL+"/explorer"), chromedp.WaitVisible(chromedp.CSS("#n-flux-system-keda")), shot(dir, &n, "explorer"))
	if err != nil {
		t.Fatal(err)
	}
	if got := text(t, b, "#n-flux-system-keda"); !strings.Contains(got, "Failed") || !strings.Contains(got, failure) {
		t.Errorf("keda in the explorer: %q, want Failed with the message", got)
	}
	if got := text(t, b, "#n-flux-system-cert-manager"); !strings.Contains(got, "Degraded") ||
		!strings.Contains(got, "Deployment cert-manager/cert-manager-webhook: 1/2 ready") {
		t.Errorf("cert-manager in the explorer: %q, want Degraded naming the unready Deployment", got)
	}

	// Upgrade cert-manager: its Blueprint announces the newer version.
	err = chromedp.Do(b,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#c-cert-manager form[action="/actions/upgrade"] button`)),
		chromedp.Click(chromedp.CSS(`#c-cert-manager details summary`)),
		shot(dir, &n, "upgrade-offered"),
		chromedp.Click(chromedp.CSS(`#c-cert-manager form[action="/actions/upgrade"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`main a[href*="/pulls/"]`)),
		shot(dir, &n, "pull-request-opened"),
	)
	if err != nil {
		t.Fatalf("browser: %v (screenshots in %s)", err, dir)
	}
	link, err := chromedp.Run(b, chromedp.Evaluate[string](`document.querySelector('main a[href*="/pulls/"]').href`))
	if err != nil {
		t.Fatal(err)
	}
	var bp platformv1.Blueprint
	if err := env.Client.Get(ctx, client.ObjectKey{Name: "cert-manager"}, &bp); err != nil {
		t.Fatal(err)
	}
	if bp.Status.UpgradePullRequest == nil {
		t.Fatal("the upgrade pull request is not recorded on the Blueprint")
	}
	pr, err := fc.PullRequest(ctx, repo, bp.Status.UpgradePullRequest.Number)
	if err != nil {
		t.Fatal(err)
	}
	if pr.URL != link || pr.State != forge.PROpen {
		t.Fatalf("the page links %s; Gitea has %+v: want that pull request, open", link, pr)
	}
	base, _, err := fc.Snapshot(ctx, repo, "main")
	if err != nil {
		t.Fatal(err)
	}
	branch, _, err := fc.Snapshot(ctx, repo, pr.Branch)
	if err != nil {
		t.Fatal(err)
	}
	changed := managertest.Changed(base, branch)
	if len(changed) == 0 {
		t.Fatal("the pull request changes nothing")
	}
	for _, p := range changed {
		if !strings.Contains(p, "/cert-manager/") && !managertest.LockOrTwin(p) {
			t.Errorf("%s changed by the upgrade of cert-manager", p)
		}
	}
}

// helmStatus writes a HelmRelease's Ready condition for its generation,
// as helm-controller does.
func helmStatus(t *testing.T, env *testenv.Env, name string, ready metav1.ConditionStatus, reason, msg string) {
	t.Helper()
	ctx := context.Background()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(manager.HelmReleaseGVK)
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "flux-system", Name: name}, u); err != nil {
		t.Fatal(err)
	}
	u.Object["status"] = map[string]any{"observedGeneration": u.GetGeneration(), "conditions": []any{map[string]any{
		"type": "Ready", "status": string(ready), "reason": reason, "message": msg,
		"observedGeneration": u.GetGeneration(), "lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}}}
	if err := env.Client.Status().Update(ctx, u); err != nil {
		t.Fatal(err)
	}
}

// unreadyDeployment is cert-manager's webhook as helm-controller installed
// it (origin labels) with one of two pods ready, as the Deployment
// controller reports it.
func unreadyDeployment(t *testing.T, env *testenv.Env) {
	t.Helper()
	ctx := context.Background()
	sel := map[string]string{"app": "webhook"}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Namespace: "cert-manager", Name: "cert-manager-webhook",
		Labels: map[string]string{manager.HelmNameLabel: "cert-manager", manager.HelmNamespaceLabel: "flux-system"}},
		Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](2), Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: sel},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "webhook", Image: "registry.example/webhook:1"}}}}}}
	if err := env.Client.Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	d.Status = appsv1.DeploymentStatus{ObservedGeneration: d.Generation, Replicas: 2, UpdatedReplicas: 2, ReadyReplicas: 1, AvailableReplicas: 1}
	if err := env.Client.Status().Update(ctx, d); err != nil {
		t.Fatal(err)
	}
}

// waitHealth waits for the manager to write a component's health; the
// bound only ends a failing test.
func waitHealth(t *testing.T, env *testenv.Env, component string, want platformv1.Health) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pi platformv1.PlatformInstance
		if err := env.Client.Get(context.Background(), client.ObjectKey{Name: "acme"}, &pi); err != nil {
			t.Fatal(err)
		}
		for _, c := range pi.Status.Components {
			if c.Name == component && c.Health == want {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not %s: %+v", component, want, pi.Status.Components)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("%s: %v", sel, err)
	}
	return s
}
