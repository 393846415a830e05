package portal_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"code.gitea.io/sdk/gitea"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
	"github.com/openova-io/openova/internal/giteatest"
	"github.com/openova-io/openova/internal/portal"
	"github.com/openova-io/openova/internal/portal/portaltest"
	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	testenv.Main(m, func(e *testenv.Env) { env = e })
}

// Submit against a real Gitea v1.25.4 and kube-apiserver.
func TestSubmit(t *testing.T) {
	ctx := context.Background()
	srv := giteatest.Start(t)
	cat := portaltest.Catalog(t)
	repo := portaltest.Seed(t, srv, cat, "two-region.yaml")
	svc := portaltest.Service(t, srv, env.Client, cat, repo)
	if err := env.EnsureNamespace(ctx, portaltest.RequestsNamespace); err != nil {
		t.Fatal(err)
	}
	noTrace := func(t *testing.T, req portal.Request) {
		t.Helper()
		heads, err := svc.Forge.Heads(ctx, repo, portal.Branch(req.Namespace, req.Name))
		if err != nil {
			t.Fatal(err)
		}
		if len(heads) != 0 {
			t.Errorf("a refused request pushed branch %v", heads)
		}
		var pr platformv1.PortalRequest
		err = env.Client.Get(ctx, client.ObjectKey{Namespace: portaltest.RequestsNamespace, Name: portal.ObjectName(req.Namespace, req.Name)}, &pr)
		if !apierrors.IsNotFound(err) {
			t.Errorf("a refused request left a PortalRequest: %v", err)
		}
	}

	t.Run("forbidden namespace", func(t *testing.T) {
		req := portaltest.Tier1()
		req.Namespace = "risk"
		_, err := svc.Submit(ctx, req)
		if !errors.Is(err, portal.ErrForbidden) {
			t.Fatalf("err = %v, want ErrForbidden", err)
		}
		noTrace(t, req)
	})

	t.Run("invalid values", func(t *testing.T) {
		req := portaltest.Tier1()
		req.Name = "bad-db"
		req.Values["tier"], req.Values["storage"] = "gold", "lots"
		_, err := svc.Submit(ctx, req)
		var invalid *portal.ValidationError
		if !errors.As(err, &invalid) || len(invalid.Errs) != 2 {
			t.Fatalf("err = %v, want two field errors", err)
		}
		noTrace(t, req)
	})

	req := portaltest.Tier1()
	got, err := svc.Submit(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("PortalRequest Open with its pull request", func(t *testing.T) {
		if got.Name != "payments.orders-db" || got.Labels[portal.LabelTeam] != "payments" || got.Labels[portal.LabelNamespace] != "payments" {
			t.Errorf("name %s labels %v", got.Name, got.Labels)
		}
		var stored platformv1.PortalRequest
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(got), &stored); err != nil {
			t.Fatal(err)
		}
		st := stored.Status
		if st.Phase != platformv1.PhaseOpen || st.PullRequest == nil || st.PullRequest.Number == 0 || !strings.HasPrefix(st.PullRequest.URL, srv.URL) ||
			st.PullRequest.Branch != "catalyst/request/payments/orders-db" {
			t.Fatalf("status = %+v", st)
		}
		if stored.Spec.RequestedBy != "alice@bank.example" || !strings.Contains(string(stored.Spec.Values.Raw), `"deletionProtection":true`) {
			t.Errorf("spec = %s %s (values recorded with defaults)", stored.Spec.RequestedBy, stored.Spec.Values.Raw)
		}
		if stored.Annotations[portal.AnnotationConnectionSecret] != "orders-db-app" {
			t.Errorf("annotations %v", stored.Annotations)
		}
	})

	t.Run("the branch adds exactly the request's files", func(t *testing.T) {
		base, _, err := svc.Forge.Snapshot(ctx, repo, "main")
		if err != nil {
			t.Fatal(err)
		}
		head, _, err := svc.Forge.Snapshot(ctx, repo, got.Status.PullRequest.Branch)
		if err != nil {
			t.Fatal(err)
		}
		var added []string
		for p, data := range head {
			if old, ok := base[p]; !ok || string(old) != string(data) {
				added = append(added, p)
			}
		}
		for p := range base {
			if _, ok := head[p]; !ok {
				t.Errorf("the branch removes %s", p)
			}
		}
		slices.Sort(added)
		want := []string{"clusters/fsn/requests/payments/orders-db/manifests.yaml", "clusters/hel/requests/payments/orders-db/manifests.yaml"}
		if !slices.Equal(added, want) {
			t.Fatalf("changed files %v, want %v", added, want)
		}
		if !strings.Contains(string(head[want[0]]), "kind: Cluster") {
			t.Errorf("manifests lack the Cluster:\n%s", head[want[0]])
		}

		// The files as they are in Gitea, read back, pass server-side
		// dry-run: what Flux will apply after the merge.
		rendered := map[string]string{}
		for _, p := range want {
			rendered[p] = string(head[p])
		}
		objs, err := testenv.DecodeRendered(rendered)
		if err != nil {
			t.Fatal(err)
		}
		if err := env.EnsureNamespace(ctx, "payments"); err != nil {
			t.Fatal(err)
		}
		clusters := 0
		for _, o := range objs {
			gvk := o.Object.GroupVersionKind()
			if _, err := env.Client.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version); meta.IsNoMatchError(err) {
				t.Logf("%s: %s %s not dry-run: no CRD in the test API server", o.Template, gvk.Kind, o.Object.GetName())
				continue
			}
			if err := env.ServerSideDryRun(ctx, o.Object); err != nil {
				t.Errorf("%s: %v", o.Template, err)
			}
			if gvk.Kind == "Cluster" {
				clusters++
			}
		}
		if clusters != 2 {
			t.Errorf("%d CNPG Clusters dry-run from the pull request, want one per region", clusters)
		}
	})

	t.Run("the description is readable and holds no secret", func(t *testing.T) {
		api, err := gitea.NewClient(srv.URL, gitea.SetToken(srv.AdminToken), gitea.SetGiteaVersion(""))
		if err != nil {
			t.Fatal(err)
		}
		pr, _, err := api.GetPullRequest(repo.Owner, repo.Name, got.Status.PullRequest.Number)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("pull request %q:\n%s", pr.Title, pr.Body)
		for _, want := range []string{"PostgreSQL `orders-db`", "namespace `payments`", "team payments", "alice@bank.example",
			"| tier | tier-1 |", "| ha | true (default) |", "| networkProfile | peer-region |", "Secret `orders-db-app`",
			"regions fsn (primary) and hel (replica", "never approves or merges"} {
			if !strings.Contains(pr.Body, want) {
				t.Errorf("body lacks %q", want)
			}
		}
		if strings.Contains(pr.Body, srv.AdminToken) || strings.Contains(pr.Body, "password") {
			t.Error("body carries a credential")
		}
	})

	t.Run("submitting again is idempotent", func(t *testing.T) {
		again, err := svc.Submit(ctx, portaltest.Tier1())
		if err != nil {
			t.Fatal(err)
		}
		if again.Status.PullRequest.Number != got.Status.PullRequest.Number || again.UID != got.UID {
			t.Fatalf("second submit: PR #%d uid %s, first PR #%d uid %s", again.Status.PullRequest.Number, again.UID, got.Status.PullRequest.Number, got.UID)
		}
		other := portaltest.Tier1()
		other.Values["size"] = "XL"
		var invalid *portal.ValidationError
		if _, err := svc.Submit(ctx, other); !errors.As(err, &invalid) || invalid.Errs[0].Field != "name" {
			t.Fatalf("same name, other values: err = %v, want a name error", err)
		}
	})

	t.Run("an interrupted Submit is finished by the next", func(t *testing.T) {
		half := portaltest.Tier1()
		half.Name = "half-done"
		// What the first Submit left: the object, created, without status.
		obj := &platformv1.PortalRequest{ObjectMeta: metav1.ObjectMeta{Name: "payments.half-done", Namespace: portaltest.RequestsNamespace,
			Labels: map[string]string{portal.LabelTeam: "payments", portal.LabelNamespace: "payments", portal.LabelName: "half-done"}},
			Spec: platformv1.PortalRequestSpec{Blueprint: "cnpg", RequestedBy: half.RequestedBy, Values: &apiextensionsv1.JSON{Raw: []byte(
				`{"backup":"continuous","deletionProtection":true,"ha":true,"networkProfile":"peer-region","size":"M","storage":"20Gi","tier":"tier-1","version":"17"}`)}}}
		if err := env.Client.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
		got, err := svc.Submit(ctx, half)
		if err != nil {
			t.Fatal(err)
		}
		if got.UID != obj.UID || got.Status.Phase != platformv1.PhaseOpen || got.Status.PullRequest == nil {
			t.Fatalf("uid %s (created %s), status %+v", got.UID, obj.UID, got.Status)
		}
	})

	t.Run("List and Get see only the caller's teams", func(t *testing.T) {
		mine, err := svc.List(ctx, []string{"payments-devs"})
		if err != nil || len(mine) != 2 || mine[1].Name != got.Name {
			t.Fatalf("List(payments) = %v, %v", mine, err)
		}
		theirs, err := svc.List(ctx, []string{"risk"})
		if err != nil || len(theirs) != 0 {
			t.Fatalf("List(risk) = %v, %v", theirs, err)
		}
		if _, err := svc.Get(ctx, []string{"risk"}, got.Name); !errors.Is(err, portal.ErrForbidden) {
			t.Fatalf("Get by another team: %v", err)
		}
		if _, err := svc.Get(ctx, []string{"payments-devs"}, "payments.nothing"); !errors.Is(err, portal.ErrNotFound) {
			t.Fatalf("Get of nothing: %v", err)
		}
	})
}
