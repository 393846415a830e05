package seed

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/iostreams"
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
