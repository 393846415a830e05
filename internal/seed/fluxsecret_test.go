package seed

import (
	"bytes"
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/giteatest"
)

// Against a real Gitea and kube-apiserver: the seed writes Flux's Secret
// with a token that can read the private instance repository but not push
// to it nor create repositories; a second run keeps the Secret and issues
// no token.
func TestEnsureFluxSecretReadsButCannotWrite(t *testing.T) {
	ctx := context.Background()
	spec, cat := example(t, "one-region.yaml")
	srv := giteatest.Start(t)
	if _, err := Run(ctx, Options{Spec: spec, Catalog: cat, Forge: srv.Client(t), Org: "acme", Repo: "instance", Approvals: 1}); err != nil {
		t.Fatal(err)
	}
	if err := env.EnsureNamespace(ctx, "flux-system"); err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	issued := 0
	issue := func(ctx context.Context) (string, string, error) {
		issued++
		tok, err := IssueReadToken(ctx, srv.URL, srv.AdminUser, srv.AdminPassword)
		return srv.AdminUser, tok, err
	}
	wrote, err := EnsureFluxSecret(ctx, cs, "flux-system", "flux-system", issue)
	if err != nil || !wrote || issued != 1 {
		t.Fatalf("first run: wrote %t, %d token(s) issued, %v", wrote, issued, err)
	}
	s, err := cs.CoreV1().Secrets("flux-system").Get(ctx, "flux-system", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	user, token := string(s.Data["username"]), string(s.Data["password"])
	if user != srv.AdminUser || token == "" || token == srv.AdminPassword {
		t.Fatalf("Secret holds user %q and a password that is empty or the admin's", user)
	}

	// What Flux does with it: basic auth, the token as password.
	flux, err := forge.New(srv.URL, forge.Credentials{User: user, Token: token}, nil)
	if err != nil {
		t.Fatal(err)
	}
	repo := forge.Repo{Owner: "acme", Name: "instance"}
	files, _, err := flux.Snapshot(ctx, repo, Branch)
	if err != nil || len(files) == 0 {
		t.Fatalf("the token cannot read the instance repository: %d files, %v", len(files), err)
	}
	if _, _, err := flux.PushTree(ctx, repo, "flux-was-here", map[string][]byte{"x": []byte("x")}, "push", Author); err == nil {
		t.Fatal("the read-only token pushed a branch")
	}
	if err := flux.EnsureRepo(ctx, forge.Repo{Owner: "acme", Name: "other"}); err == nil {
		t.Fatal("the read-only token created a repository")
	}

	again, err := EnsureFluxSecret(ctx, cs, "flux-system", "flux-system", issue)
	if err != nil || again || issued != 1 {
		t.Fatalf("second run: wrote %t, %d token(s) issued, %v; want the Secret kept", again, issued, err)
	}
	s2, _ := cs.CoreV1().Secrets("flux-system").Get(ctx, "flux-system", metav1.GetOptions{})
	if !bytes.Equal(s2.Data["password"], []byte(token)) {
		t.Fatal("second run replaced the token")
	}

	// The Secret lost its token (emptied by hand): a new one replaces the
	// old, which stops working.
	s2.Data = map[string][]byte{}
	if _, err := cs.CoreV1().Secrets("flux-system").Update(ctx, s2, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if wrote, err := EnsureFluxSecret(ctx, cs, "flux-system", "flux-system", issue); err != nil || !wrote || issued != 2 {
		t.Fatalf("emptied Secret: wrote %t, %d token(s) issued, %v", wrote, issued, err)
	}
	if _, _, err := flux.Snapshot(ctx, repo, Branch); err == nil {
		t.Error("the replaced token still reads the repository")
	}
}

func TestIssueReadTokenNeverShowsThePassword(t *testing.T) {
	srv := giteatest.Start(t)
	_, err := IssueReadToken(context.Background(), srv.URL, srv.AdminUser, "wrong-Secret-42")
	if err == nil || strings.Contains(err.Error(), "wrong-Secret-42") || !strings.Contains(err.Error(), srv.AdminUser) {
		t.Fatalf("wrong password: %v; want an error naming the user, not the password", err)
	}
}
