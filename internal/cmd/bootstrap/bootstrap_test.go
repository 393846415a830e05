package bootstrap

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/openova-io/openova/internal/cmd/factory"
	"github.com/openova-io/openova/internal/iostreams"
)

// TestFreshStart runs the command as on a fresh machine: an empty data
// directory, the embedded catalog, SQLite; the first admin's password is
// printed once and signs in.
func TestFreshStart(t *testing.T) {
	t.Setenv(DatabaseEnv, "")
	t.Setenv("CATALYST_WIZARD_KEY", "")
	t.Setenv(AdminPasswordEnv, "")
	streams, _, _, errOut := iostreams.Test()
	dir := filepath.Join(t.TempDir(), "data")
	ctx, stop := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	cmd := NewCmdBootstrap(&factory.Factory{IOStreams: streams}, func(o *Options) error {
		o.Ready = func(addr string) { ready <- addr }
		o.Stop = ctx
		return Run(o)
	})
	cmd.SetArgs([]string{"--listen", "127.0.0.1:0", "--data-dir", dir})
	done := make(chan error, 1)
	go func() { done <- cmd.Execute() }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("bootstrap exited: %v\n%s", err, errOut)
	}
	fi, err := os.Stat(filepath.Join(dir, "wizard.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("wizard.key = %v, %v; want mode 0600", fi, err)
	}
	m := regexp.MustCompile(`password, shown once: (\S+)`).FindStringSubmatch(errOut.String())
	if m == nil {
		t.Fatalf("no admin password printed:\n%s", errOut)
	}
	res, err := http.Post("http://"+addr+"/api/v1/login", "application/json",
		strings.NewReader(`{"username":"admin","password":"`+m[1]+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("admin sign-in = %d", res.StatusCode)
	}
	res, err = http.Get("http://" + addr + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := readAll(res)
	if !strings.Contains(page, "/static/app.js") {
		t.Fatalf("login page does not load the embedded script")
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if strings.Count(errOut.String(), m[1]) != 1 {
		t.Fatal("the admin password was printed more than once")
	}
}

func readAll(res *http.Response) (string, error) {
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return string(b), err
}

// TestApplyLeaseTooShort: a lease renewed every third of itself needs a
// period a database round trip fits in; the flag says so.
func TestApplyLeaseTooShort(t *testing.T) {
	streams, _, _, _ := iostreams.Test()
	cmd := NewCmdBootstrap(&factory.Factory{IOStreams: streams}, nil)
	cmd.SetArgs([]string{"--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--apply-lease", "100ms"})
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	if err := cmd.Execute(); err == nil || !strings.Contains(err.Error(), "--apply-lease 100ms: use at least 1s") {
		t.Fatalf("--apply-lease 100ms = %v", err)
	}
}

// TestAddUserRoles: a new organisation's first user is its admin, later
// ones members unless --role admin; an unknown role names the flag.
func TestAddUserRoles(t *testing.T) {
	t.Setenv(DatabaseEnv, "")
	t.Setenv("CATALYST_WIZARD_KEY", "")
	dir := t.TempDir()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--org", "acme", "--name", "jane"}, "user jane (admin) in organisation acme"},
		{[]string{"--org", "acme", "--name", "joe"}, "user joe (member) in organisation acme"},
		{[]string{"--org", "acme", "--name", "kim", "--role", "admin"}, "user kim (admin) in organisation acme"},
		{[]string{"--org", "acme", "--name", "lee", "--role", "owner"}, `--role: role "owner": use admin or member`},
	} {
		streams, _, out, _ := iostreams.Test()
		cmd := NewCmdBootstrap(&factory.Factory{IOStreams: streams}, nil)
		cmd.SilenceUsage, cmd.SilenceErrors = true, true
		cmd.SetArgs(append([]string{"add-user", "--data-dir", dir}, tc.args...))
		err := cmd.Execute()
		got := out.String()
		if err != nil {
			got = err.Error()
		}
		if !strings.Contains(got, tc.want) {
			t.Errorf("add-user %v: %q, want %q", tc.args, got, tc.want)
		}
	}
}
