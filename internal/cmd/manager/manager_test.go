package manager

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/iostreams"
	"github.com/openova-io/openova/internal/manager"
)

const kubeconfig = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "https://127.0.0.1:6443"}
contexts:
- name: acme
  context: {cluster: c, user: u}
current-context: acme
users:
- name: u
  user: {}
`

func testFactory(t *testing.T) (*factory.Factory, *bytes.Buffer) {
	t.Helper()
	ios, _, out, _ := iostreams.Test()
	return &factory.Factory{IOStreams: ios}, out
}

// Flags reach the manager's options and the kubeconfig is loaded; nothing
// is started (run is replaced).
func TestFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	f, _ := testFactory(t)
	var got manager.Options
	var host string
	cmd := NewCmdManager(f, func(_ context.Context, cfg *rest.Config, o manager.Options) error {
		got, host = o, cfg.Host
		return nil
	})
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CATALYST_ADMIN_TOKEN", "from-env")
	cmd.SetArgs([]string{"--kubeconfig", path, "--metrics-addr", "127.0.0.1:9090", "--health-addr", "0",
		"--leader-elect", "--leader-election-namespace", "catalyst", "--ui-addr", "127.0.0.1:8090",
		"--gitea-url", "http://127.0.0.1:3000", "--repo", "acme/instance", "--gitea-token-file", tokenFile})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	want := manager.Options{MetricsAddr: "127.0.0.1:9090", HealthAddr: "0", LeaderElect: true,
		LeaderElectionNamespace: "catalyst", LeaderElectionID: "catalyst-manager", UIAddr: "127.0.0.1:8090",
		AdminToken: "from-env", PublishBlueprints: true, GiteaURL: "http://127.0.0.1:3000", GiteaToken: "s3cret",
		Repo: "acme/instance", Branch: "main", OIDC: manager.OIDC{AdminGroup: "platform-admins", GroupsClaim: "groups"}}
	if got != want || host != "https://127.0.0.1:6443" {
		t.Errorf("options %+v host %q, want %+v and the kubeconfig's server", got, host, want)
	}
}

func TestErrors(t *testing.T) {
	ran := false
	run := func(context.Context, *rest.Config, manager.Options) error { ran = true; return nil }
	for name, args := range map[string][]string{
		"missing kubeconfig": {"--kubeconfig", filepath.Join(t.TempDir(), "nope")},
		"unknown flag":       {"--metrics-address", ":1"},
		"argument":           {"extra"},
	} {
		f, _ := testFactory(t)
		cmd := NewCmdManager(f, run)
		cmd.SetArgs(args)
		cmd.SetOut(f.IOStreams.Out)
		cmd.SetErr(f.IOStreams.ErrOut)
		err := cmd.Execute()
		if err == nil {
			t.Errorf("%s: no error", name)
		}
		if name == "missing kubeconfig" && (err == nil || !strings.Contains(err.Error(), "--kubeconfig")) {
			t.Errorf("missing kubeconfig: %v, want the fix (--kubeconfig) named", err)
		}
	}
	if ran {
		t.Error("the manager ran despite a bad invocation")
	}
}

func TestHelp(t *testing.T) {
	f, buf := testFactory(t)
	cmd := NewCmdManager(f, nil)
	cmd.SetArgs([]string{"--help"})
	cmd.SetOut(f.IOStreams.Out)
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, flag := range []string{"--kubeconfig", "--leader-elect", "--metrics-addr", "--health-addr", "--ui-addr", "--gitea-url",
		"--admin-token-file", "--catalog-dir", "PlatformInstance", "never approves or merges"} {
		if !strings.Contains(out, flag) {
			t.Errorf("--help lacks %s:\n%s", flag, out)
		}
	}
}
