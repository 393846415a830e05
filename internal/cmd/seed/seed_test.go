package seed

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/forge"
	"github.com/openova-io/openova/internal/giteatest"
	"github.com/openova-io/openova/internal/iostreams"
	"github.com/openova-io/openova/internal/seed"
	"github.com/openova-io/openova/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { testenv.Main(m, func(e *testenv.Env) { env = e }) }

// The Job's arguments (as internal/generate/flux writes them) parse.
func TestFlagsOfTheSeedJob(t *testing.T) {
	var got *Options
	ios, _, _, _ := iostreams.Test()
	f := &factory.Factory{IOStreams: ios}
	cmd := NewCmdSeed(f, func(o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{"--instance=/etc/openova/instance.yaml", "--region=fsn", "--gitea=http://gitea-http.gitea.svc:3000",
		"--repository=platform/instance", "--admin-secret=gitea/acme-gitea-admin", "--required-approvals=2",
		"--apply=clusters/fsn/crds", "--apply=clusters/fsn/infrastructure/gitea"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Approvals != 2 || got.AdminSecret != "gitea/acme-gitea-admin" || len(got.Apply) != 2 || got.Repository != "platform/instance" {
		t.Fatalf("parsed %+v", got)
	}
	// The Secret the generated FluxInstance and GitRepositories name.
	if got.FluxSecret != "flux-system/flux-system" {
		t.Fatalf("--flux-secret defaults to %q, want flux-system/flux-system", got.FluxSecret)
	}
	if _, err := writeFluxSecret(context.Background(), &Options{FluxSecret: "flux-system"}, seed.FluxReader{}, "u", "p"); err == nil ||
		!strings.Contains(err.Error(), "--flux-secret") {
		t.Fatalf("--flux-secret without a namespace: %v, want an error naming the flag", err)
	}
}

func TestRunRejectsBadArguments(t *testing.T) {
	spec := filepath.Join("..", "..", "..", "examples", "one-region.yaml")
	for name, o := range map[string]Options{
		"repository": {Instance: spec, Repository: "instance", Gitea: "http://127.0.0.1:1"},
		"region":     {Instance: spec, Repository: "platform/instance", Region: "nowhere", Gitea: "http://127.0.0.1:1"},
	} {
		o.IO, _, _, _ = iostreams.Test()
		o.Timeout = 1e9
		err := run(context.Background(), &o)
		if err == nil || !strings.Contains(err.Error(), "--"+name) {
			t.Errorf("%s: error %v, want one naming --%s", name, err, name)
		}
	}
}

func TestCredentialsFromFileNeverInError(t *testing.T) {
	t.Setenv(UserEnv, "gitea-admin")
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("from-file-Secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(PasswordFileEnv, pw)
	u, p, err := credentials(context.Background(), "")
	if err != nil || u != "gitea-admin" || p != "from-file-Secret" {
		t.Fatalf("got %q %q %v", u, p, err)
	}
	t.Setenv(UserEnv, "")
	if _, _, err := credentials(context.Background(), ""); err == nil || strings.Contains(err.Error(), "from-file-Secret") {
		t.Fatalf("missing user: %v", err)
	}
}

// Against the real kube-apiserver: the first run creates the admin
// Secret with the generated password, a re-run reads the same one.
func TestAdminSecretCreatedOnceThenRead(t *testing.T) {
	ctx := context.Background()
	if err := env.EnsureNamespace(ctx, "gitea"); err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	gen := func() (string, error) { calls++; return "generated-pw-1", nil }
	u, p, err := adminSecret(ctx, cs, "gitea", "acme-gitea-admin", gen)
	if err != nil || u != "gitea-admin" || p != "generated-pw-1" {
		t.Fatalf("first: %q %q %v", u, p, err)
	}
	u, p, err = adminSecret(ctx, cs, "gitea", "acme-gitea-admin", gen)
	if err != nil || p != "generated-pw-1" || calls != 1 {
		t.Fatalf("re-run: %q %q %v, generator called %d times, want once", u, p, err, calls)
	}
}

// The seed's ClusterRoleBinding is gone after it, and deleting it twice
// is fine (the Job may be re-run).
func TestSeedBindingDeleted(t *testing.T) {
	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	crb := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "openova-seed"},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "openova-seed", Namespace: "gitea"}}}
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := deleteBinding(ctx, cs, "openova-seed"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Get(ctx, "openova-seed", metav1.GetOptions{}); err == nil {
		t.Fatal("binding still there")
	}
}

// The command end to end against a real Gitea, with the credentials from
// the environment and a password file as outside the cluster: the first
// run pushes and protects, the second finds everything in place.
func TestRunAgainstRealGitea(t *testing.T) {
	srv := giteatest.Start(t)
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte(srv.AdminPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(UserEnv, srv.AdminUser)
	t.Setenv(PasswordFileEnv, pw)
	spec := filepath.Join("..", "..", "..", "examples", "one-region.yaml")
	var outs []string
	for range 2 {
		ios, _, out, _ := iostreams.Test()
		o := &Options{IO: ios, Instance: spec, Gitea: srv.URL, Repository: "platform/instance", Approvals: 1, Timeout: time.Minute}
		if err := run(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, out.String())
	}
	if !strings.Contains(outs[0], "pushed; branch protection set") {
		t.Fatalf("first run said %q", outs[0])
	}
	if !strings.Contains(outs[1], "already up to date; branch protection already in place") {
		t.Fatalf("second run said %q", outs[1])
	}
	files, _, err := srv.Client(t).Snapshot(context.Background(), forge.Repo{Owner: "platform", Name: "instance"}, "main")
	if err != nil || len(files) == 0 {
		t.Fatalf("main holds %d files: %v", len(files), err)
	}
	if strings.Contains(outs[0]+outs[1], srv.AdminPassword) {
		t.Fatal("the password was printed")
	}
}
