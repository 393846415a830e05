package browser

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	openova "github.com/openova-io/openova"
	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/catalog"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/portal"
	"github.com/openova-io/openova/internal/portal/web/webtest"
	"github.com/openova-io/openova/internal/testenv"
	"github.com/openova-io/openova/internal/wizard/oidctest"
)

// TestPortalFormToPullRequest: a person of team-a signs in through the
// OpenID Provider's login page, picks Tier-1 PostgreSQL in the catalog,
// sees a wrong storage size refused beside its field, corrects it, and
// lands on a request page linking a pull request that is open (nobody
// merged it) in the real Gitea with the claim in it; the page shows the
// merge as it is pushed, and signing out ends the provider's session.
// Everything is real: kube-apiserver, Gitea, the provider, the portal.
func TestPortalFormToPullRequest(t *testing.T) {
	env, stop, err := testenv.StartSecond()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	user := oidctest.User{Subject: "u-ana", Email: "ana@bank.example", EmailVerified: true, Groups: []string{"team-a"}}
	p := webtest.Start(t, env, user)
	p.OP.LoginForm(true)

	ctx := browser(t)
	dir := artifacts(t)
	n := 0
	err = chromedp.Do(ctx,
		chromedp.Navigate(p.URL+"/portal/"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		shot(dir, &n, "provider-login"),
		chromedp.SendKeys(chromedp.CSS("#username"), user.Email),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS("#offering-cnpg")),
		shot(dir, &n, "catalog"),
		chromedp.Click(chromedp.CSS("#offering-cnpg h3 a")),
		chromedp.WaitVisible(chromedp.CSS("#f-storage")),
		chromedp.SendKeys(chromedp.CSS("#f-name"), "orders-db"),
		chromedp.SetValue(chromedp.CSS("#f-namespace"), "team-a-prod"),
		chromedp.SetValue(chromedp.CSS("#f-tier"), "tier-1"),
		chromedp.SetValue(chromedp.CSS("#f-size"), "L"),
		chromedp.Clear(chromedp.CSS("#f-storage")),
		chromedp.SendKeys(chromedp.CSS("#f-storage"), "50GB"),
		shot(dir, &n, "form-invalid"),
		chromedp.Click(chromedp.CSS("#submit")),
		// The server's answer, not the script's hint on leaving the field.
		chromedp.WaitVisible(chromedp.CSS(`form[data-refused="true"] #field-storage.invalid #e-storage`)),
		shot(dir, &n, "storage-refused"),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}

	// The words beside the field are the server's, the same as Validate's.
	cat, err := catalog.Load(openova.Catalog)
	if err != nil {
		t.Fatal(err)
	}
	var want string
	for _, e := range portal.Validate(cat, webtest.Teams, portal.Request{Blueprint: "cnpg", Name: "orders-db", Namespace: "team-a-prod",
		Values: map[string]any{"tier": "tier-1", "size": "L", "storage": "50GB"}, RequestedBy: user.Email, Groups: user.Groups}) {
		if e.Field == "values.storage" {
			want = e.Detail
		}
	}
	if want == "" {
		t.Fatal("portal.Validate finds nothing wrong with storage 50GB")
	}
	msg, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#e-storage")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, want) {
		t.Fatalf("beside storage: %q, want the server's %q", msg, want)
	}
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[document.getElementById("f-storage").value, document.getElementById("f-name").value,
		document.getElementById("f-tier").value, document.getElementById("f-namespace").value, String(document.querySelectorAll(".field.invalid").length)]`))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(kept, " ") != "50GB orders-db tier-1 team-a-prod 1" {
		t.Fatalf("after the refusal the form holds %q, want the submitted values and one invalid field", kept)
	}
	if len(p.Requests(t)) != 0 {
		t.Fatal("a refused form made a request")
	}

	err = chromedp.Do(ctx,
		chromedp.Clear(chromedp.CSS("#f-storage")),
		chromedp.SendKeys(chromedp.CSS("#f-storage"), "50Gi"),
		chromedp.Click(chromedp.CSS("#submit")),
		chromedp.WaitVisible(chromedp.CSS("#pull-request")),
		shot(dir, &n, "request-page"),
	)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	link, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("pull-request").href`))
	if err != nil {
		t.Fatal(err)
	}
	phase, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#phase")))
	if err != nil {
		t.Fatal(err)
	}

	reqs := p.Requests(t)
	if len(reqs) != 1 || reqs[0].Status.PullRequest == nil {
		t.Fatalf("PortalRequests = %+v", reqs)
	}
	pr, err := p.Forge.PullRequest(context.Background(), p.Repo, reqs[0].Status.PullRequest.Number)
	if err != nil {
		t.Fatal(err)
	}
	if pr.URL != link || pr.State != forge.PROpen || phase != "Open" {
		t.Fatalf("page links %s (phase %s); Gitea has %+v: want the same pull request, open", link, phase, pr)
	}
	// The page follows the request live: the tracker's next phase is
	// pushed (Server-Sent Events) and shown in place, without a reload
	// (the marker set on the page survives).
	orig := reqs[0].DeepCopy()
	reqs[0].Status.Phase, reqs[0].Status.Message = platformv1.PhaseMerged, "merged; waiting for Flux to apply it"
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.stillTheSamePage = true`)); err != nil {
		t.Fatal(err)
	}
	if err := p.Kube.Status().Patch(context.Background(), &reqs[0], client.MergeFrom(orig)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("#phase.phase-Merged")), shot(dir, &n, "request-merged-live")); err != nil {
		t.Fatalf("the merge was not pushed to the page: %v", err)
	}
	same, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.stillTheSamePage === true && document.getElementById("message").textContent === "merged; waiting for Flux to apply it"`))
	if err != nil || !same {
		t.Fatalf("the phase changed by a reload, not in place (%v)", err)
	}

	// Tier-1 in a two-region instance: a CNPG Cluster per region (the
	// peer region's is the replica cluster), L-sized, 50Gi, synchronous.
	files := p.ChangedFiles(t, pr.Branch)
	wantFiles := []string{"clusters/fsn/requests/team-a-prod/orders-db/manifests.yaml", "clusters/hel/requests/team-a-prod/orders-db/manifests.yaml"}
	if got := names(files); !slices.Equal(got, wantFiles) {
		t.Fatalf("the pull request changes %v, want %v", got, wantFiles)
	}
	for _, path := range wantFiles {
		c := clusterIn(t, files[path])
		if c.Metadata.Name != "orders-db" || c.Metadata.Namespace != "team-a-prod" || c.Spec.Storage.Size != "50Gi" ||
			c.Spec.Instances != 3 || c.Spec.Resources.Requests["cpu"] != "2" || c.Spec.Postgresql.Synchronous == nil {
			t.Fatalf("%s: Cluster = %+v", path, c)
		}
	}

	// Signing out ends the provider's session too: the browser passes
	// through the provider's end_session_endpoint, lands on the portal's
	// signed-out page, and signing in again asks for the username.
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("form.signout button")),
		chromedp.WaitVisible(chromedp.CSS("#signed-out-provider")),
		shot(dir, &n, "signed-out"),
		chromedp.Click(chromedp.CSS(`main a[href$="/login"]`)),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		shot(dir, &n, "provider-asks-again"),
	)
	if err != nil {
		t.Fatalf("sign-out: %v", err)
	}
	if ended := p.OP.Ended(); !slices.Equal(ended, []string{user.Subject + " portal"}) {
		t.Fatalf("sessions ended at the provider: %v", ended)
	}
}

// cluster is what the test reads of a CNPG Cluster.
type cluster struct {
	Kind     string
	Metadata struct{ Name, Namespace string }
	Spec     struct {
		Instances  int
		Storage    struct{ Size string }
		Resources  struct{ Requests map[string]string }
		Postgresql struct {
			Synchronous map[string]any
		}
	}
}

// clusterIn finds the one CNPG Cluster of a multi-document manifest.
func clusterIn(t *testing.T, data []byte) cluster {
	t.Helper()
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var c cluster
		if err := yaml.Unmarshal([]byte(doc), &c); err != nil {
			t.Fatal(err)
		}
		if c.Kind == "Cluster" {
			return c
		}
	}
	t.Fatalf("no Cluster in\n%s", data)
	return cluster{}
}

func names(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
