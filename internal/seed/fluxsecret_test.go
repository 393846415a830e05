package seed

import (
	"bytes"
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"code.gitea.io/sdk/gitea"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/giteatest"
)

// Against a real Gitea and kube-apiserver: Flux reads as its own user,
// flux-reader, restricted and not an administrator. Its token (in Flux's
// Secret) clones the instance repository and the blueprint organisation's
// repositories (one created after the grant included), and cannot push,
// create a repository, read another repository of the instance's
// organisation, or call the admin API. A second seed run keeps the Secret
// and issues nothing; a Secret from an older seed (the administrator's
// token) is replaced, and that token revoked.
func TestFluxReadsAsItsOwnUser(t *testing.T) {
	ctx := context.Background()
	spec, cat := example(t, "one-region.yaml")
	srv := giteatest.Start(t)
	admin := srv.Client(t)
	if _, err := Run(ctx, Options{Spec: spec, Catalog: cat, Forge: admin, Org: "acme", Repo: "instance", Approvals: 1}); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"README.md": []byte("x\n")}
	other := forge.Repo{Owner: "acme", Name: "payroll"}
	if err := admin.EnsureRepo(ctx, other); err != nil {
		t.Fatal(err)
	}
	if _, _, err := admin.PushTree(ctx, other, "main", files, "other", Author); err != nil {
		t.Fatal(err)
	}
	if err := env.EnsureNamespace(ctx, "flux-system"); err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}

	reader := FluxReader{Forge: admin, Repo: forge.Repo{Owner: "acme", Name: "instance"}, BlueprintOrg: "openova", Random: rand.Reader}
	if err := reader.Ensure(ctx); err != nil {
		t.Fatal(err)
	}
	// A blueprint repository synced after the grant.
	bp := forge.Repo{Owner: "openova", Name: "cert-manager"}
	if err := admin.EnsureRepo(ctx, bp); err != nil {
		t.Fatal(err)
	}
	if _, _, err := admin.PushTree(ctx, bp, "main", files, "blueprint", Author); err != nil {
		t.Fatal(err)
	}
	issued := 0
	issue := func(ctx context.Context) (string, string, error) { issued++; return reader.Issue(ctx) }
	wrote, err := EnsureFluxSecret(ctx, cs, "flux-system", "flux-system", FluxUser, issue)
	if err != nil || !wrote || issued != 1 {
		t.Fatalf("first run: wrote %t, %d token(s) issued, %v", wrote, issued, err)
	}
	s, err := cs.CoreV1().Secrets("flux-system").Get(ctx, "flux-system", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	user, token := string(s.Data["username"]), string(s.Data["password"])
	if user != FluxUser || token == "" {
		t.Fatalf("Secret holds user %q (want %s) and an empty token: %t", user, FluxUser, token == "")
	}
	u, err := gitea.NewClient(srv.URL, gitea.SetToken(srv.AdminToken), gitea.SetGiteaVersion(""))
	if err != nil {
		t.Fatal(err)
	}
	info, _, err := u.GetUserInfo(FluxUser)
	if err != nil || info.IsAdmin || !info.Restricted {
		t.Fatalf("gitea user %s: admin %t, restricted %t (%v); want a restricted non-admin", FluxUser, info.IsAdmin, info.Restricted, err)
	}

	// What Flux does with it: basic auth, the token as password.
	flux, err := forge.New(srv.URL, forge.Credentials{User: user, Token: token}, nil)
	if err != nil {
		t.Fatal(err)
	}
	assertFluxAccess(t, flux, token)

	again, err := EnsureFluxSecret(ctx, cs, "flux-system", "flux-system", FluxUser, issue)
	if err != nil || again || issued != 1 || reader.Ensure(ctx) != nil {
		t.Fatalf("second run: wrote %t, %d token(s) issued, %v; want the Secret kept", again, issued, err)
	}

	// A seed from before flux-reader wrote the administrator's token.
	legacy, err := IssueReadToken(ctx, srv.URL, srv.AdminUser, srv.AdminPassword)
	if err != nil {
		t.Fatal(err)
	}
	s.Data = map[string][]byte{"username": []byte(srv.AdminUser), "password": []byte(legacy)}
	if _, err := cs.CoreV1().Secrets("flux-system").Update(ctx, s, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if wrote, err := EnsureFluxSecret(ctx, cs, "flux-system", "flux-system", FluxUser, issue); err != nil || !wrote || issued != 2 {
		t.Fatalf("administrator's Secret: wrote %t, %d token(s) issued, %v; want it replaced", wrote, issued, err)
	}
	if err := RevokeReadToken(ctx, srv.URL, srv.AdminUser, srv.AdminPassword); err != nil {
		t.Fatal(err)
	}
	s, _ = cs.CoreV1().Secrets("flux-system").Get(ctx, "flux-system", metav1.GetOptions{})
	if string(s.Data["username"]) != FluxUser || bytes.Equal(s.Data["password"], []byte(token)) {
		t.Fatal("the replaced Secret is not a new token of flux-reader")
	}
	repo := forge.Repo{Owner: "acme", Name: "instance"}
	if _, _, err := flux.Snapshot(ctx, repo, Branch); err == nil {
		t.Error("flux-reader's previous token still reads after it issued a new one")
	}
	old, _ := forge.New(srv.URL, forge.Credentials{User: srv.AdminUser, Token: legacy}, nil)
	if _, _, err := old.Snapshot(ctx, repo, Branch); err == nil {
		t.Error("the administrator's revoked read token still reads the repository")
	}
	if err := RevokeReadToken(ctx, srv.URL, srv.AdminUser, srv.AdminPassword); err != nil {
		t.Errorf("revoking a token that is gone: %v", err)
	}
}

// assertFluxAccess: token reads exactly what Flux needs.
func assertFluxAccess(t *testing.T, flux *forge.Client, token string) {
	t.Helper()
	ctx := context.Background()
	instance := forge.Repo{Owner: "acme", Name: "instance"}
	if files, _, err := flux.Snapshot(ctx, instance, Branch); err != nil || len(files) == 0 {
		t.Fatalf("cannot read the instance repository: %d files, %v", len(files), err)
	}
	if files, _, err := flux.Snapshot(ctx, forge.Repo{Owner: "openova", Name: "cert-manager"}, "main"); err != nil || len(files) == 0 {
		t.Errorf("cannot read a blueprint repository: %d files, %v", len(files), err)
	}
	if _, _, err := flux.Snapshot(ctx, forge.Repo{Owner: "acme", Name: "payroll"}, "main"); err == nil {
		t.Error("reads another repository of the instance's organisation")
	}
	if _, _, err := flux.PushTree(ctx, instance, "flux-was-here", map[string][]byte{"x": []byte("x")}, "push", Author); err == nil {
		t.Error("pushed a branch to the instance repository")
	}
	if err := flux.EnsureRepo(ctx, forge.Repo{Owner: "acme", Name: "other"}); err == nil {
		t.Error("created a repository")
	}
	api, err := gitea.NewClient(flux.URL(), gitea.SetBasicAuth(FluxUser, token), gitea.SetGiteaVersion(""))
	if err != nil {
		t.Fatal(err)
	}
	if _, resp, err := api.AdminListUsers(gitea.AdminListUsersOptions{}); err == nil || resp == nil || resp.StatusCode != 403 {
		t.Errorf("admin API: %v (status %v); want 403", err, resp)
	}
}

func TestIssueReadTokenNeverShowsThePassword(t *testing.T) {
	srv := giteatest.Start(t)
	_, err := IssueReadToken(context.Background(), srv.URL, srv.AdminUser, "wrong-Secret-42")
	if err == nil || strings.Contains(err.Error(), "wrong-Secret-42") || !strings.Contains(err.Error(), srv.AdminUser) {
		t.Fatalf("wrong password: %v; want an error naming the user, not the password", err)
	}
}
