// Package giteatest runs a real Gitea server (v1.25.4, SQLite, built by
// hack/testbin/install-gitea.sh) on a loopback port for tests: the pull
// requests, branch protection and merges that Catalyst relies on are
// Gitea's own, not a fake's.
//
// Starting one costs 1.1 s on a quiet machine and about 3 s on a loaded
// one (migrate, create the admin, start the web server, create tokens;
// TestStartCost logs it), so a package
// with many tests shares one server through Main and gives each test its
// own organisation or repository.
package giteatest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Version of the Gitea server the tests run; it keys the cache directory.
const Version = "v1.25.4"

// The second user of every server: a site administrator standing for the
// human who reviews and merges Catalyst's pull requests.
const ReviewerUser = "reviewer"

// Server is one running Gitea. AdminToken (scope all) belongs to
// AdminUser, the identity Catalyst uses.
type Server struct {
	URL, AdminUser, AdminPassword, AdminToken string

	reviewerToken string
	dir           string
	cmd           *exec.Cmd
	exited        chan struct{}
}

// Dir is where install-gitea.sh puts the binary and Gitea's static files.
func Dir() string {
	cache := os.Getenv("OPENOVA_CACHE")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			home, _ := os.UserHomeDir()
			base = filepath.Join(home, ".cache")
		}
		cache = filepath.Join(base, "openova")
	}
	return filepath.Join(cache, "testbin", "gitea-"+Version)
}

// Start starts a fresh Gitea in a temporary directory, stopped when the
// test ends; on failure the test log shows the tail of Gitea's log.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := start(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(s.LogTail())
		}
		s.Stop()
	})
	return s
}

// Main starts one server for the whole test package, hands it to use and
// exits with the tests' code, printing Gitea's log tail when they failed.
func Main(m *testing.M, use func(*Server)) {
	dir, err := os.MkdirTemp("", "giteatest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "giteatest:", err)
		os.Exit(1)
	}
	s, err := start(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "giteatest:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	use(s)
	code := m.Run()
	if code != 0 {
		fmt.Fprintln(os.Stderr, s.LogTail())
	}
	s.Stop()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func start(dir string) (*Server, error) {
	bin := filepath.Join(Dir(), "gitea")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("gitea %s is not built: run hack/testbin/install-gitea.sh (or hack/setup.sh): %w", Version, err)
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{URL: fmt.Sprintf("http://127.0.0.1:%d", port), AdminUser: "catalyst-admin",
		AdminPassword: "admin-" + random(12), dir: dir, exited: make(chan struct{})}
	conf, err := writeConfig(dir, port)
	if err != nil {
		return nil, err
	}
	if err := s.gitea(conf, "migrate"); err != nil {
		return nil, err
	}
	if err := s.gitea(conf, "admin", "user", "create", "--admin", "--username", s.AdminUser,
		"--password", s.AdminPassword, "--email", s.AdminUser+"@example.invalid", "--must-change-password=false"); err != nil {
		return nil, err
	}
	out, err := os.Create(filepath.Join(dir, "stdout.log"))
	if err != nil {
		return nil, err
	}
	s.cmd = command(conf, "web")
	s.cmd.Stdout, s.cmd.Stderr = out, out
	s.cmd.SysProcAttr = dieWithParent()
	if err := s.cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("start gitea web: %w", err)
	}
	go func() { _ = s.cmd.Wait(); out.Close(); close(s.exited) }()
	if err := s.ready(); err != nil {
		s.Stop()
		return nil, fmt.Errorf("%w\n%s", err, s.LogTail())
	}
	if s.AdminToken, err = s.token(s.AdminUser, s.AdminPassword); err != nil {
		s.Stop()
		return nil, err
	}
	if s.reviewerToken, err = s.addReviewer(); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

// Stop ends the server; calling it twice is fine.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}

// LogTail is the end of Gitea's own log and its standard output.
func (s *Server) LogTail() string {
	var b strings.Builder
	for _, f := range []string{filepath.Join(s.dir, "log", "gitea.log"), filepath.Join(s.dir, "stdout.log")} {
		data, _ := os.ReadFile(f)
		if len(data) > 8<<10 {
			data = data[len(data)-8<<10:]
		}
		fmt.Fprintf(&b, "--- %s (tail) ---\n%s\n", f, data)
	}
	return b.String()
}

// command runs the gitea binary on the config at
// <work>/custom/conf/app.ini, whose WORK_PATH is <work>.
func command(conf string, args ...string) *exec.Cmd {
	work := filepath.Dir(filepath.Dir(filepath.Dir(conf)))
	cmd := exec.Command(filepath.Join(Dir(), "gitea"), append([]string{"--config", conf, "--work-path", work}, args...)...)
	cmd.Env = append(os.Environ(),
		"GITEA_WORK_DIR="+work,
		"GITEA_CUSTOM="+filepath.Join(work, "custom"),
		"GITEA_I_AM_BEING_UNSAFE_RUNNING_AS_ROOT=true", // CI runs as root
		"HOME="+work, // git's global config stays in the temp dir
	)
	return cmd
}

// gitea runs one CLI step to completion.
func (s *Server) gitea(conf string, args ...string) error {
	out, err := command(conf, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("gitea %s: %w\n%s", args[0], err, out)
	}
	return nil
}

func (s *Server) ready() error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return errors.New("gitea web exited before it answered")
		default:
		}
		resp, err := http.Get(s.URL + "/api/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("gitea on %s did not answer /api/healthz within 60s", s.URL)
}

// token creates an access token (scope all) by signing in with the password.
func (s *Server) token(user, password string) (string, error) {
	var tok struct {
		SHA1 string `json:"sha1"`
	}
	body := map[string]any{"name": "test-" + random(4), "scopes": []string{"all"}}
	if err := s.call(user, password, "", http.MethodPost, "/users/"+user+"/tokens", body, &tok); err != nil {
		return "", err
	}
	return tok.SHA1, nil
}

func (s *Server) addReviewer() (string, error) {
	pw := "review-" + random(12)
	body := map[string]any{"username": ReviewerUser, "email": ReviewerUser + "@example.invalid", "password": pw,
		"must_change_password": false}
	if err := s.call("", "", s.AdminToken, http.MethodPost, "/admin/users", body, nil); err != nil {
		return "", err
	}
	// A site administrator, as the approver is in the customer's Gitea.
	edit := map[string]any{"login_name": ReviewerUser, "source_id": 0, "admin": true}
	if err := s.call("", "", s.AdminToken, http.MethodPatch, "/admin/users/"+ReviewerUser, edit, nil); err != nil {
		return "", err
	}
	return s.token(ReviewerUser, pw)
}

// call is one request to Gitea's API, by basic auth or token.
func (s *Server) call(user, password, token, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.URL+"/api/v1"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	} else {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("gitea %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("gitea %s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "root"
}
