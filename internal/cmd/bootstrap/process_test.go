package bootstrap

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/openova-io/openova/internal/instance"
	"github.com/openova-io/openova/internal/tofutest"
	"github.com/openova-io/openova/internal/wizard"
)

// rehearsalTF is the configuration the test's managed apply runs beside the
// generated variables.tf: OpenTofu's built-in terraform_data only (the
// hcloud provider cannot be downloaded here).
const rehearsalTF = `
resource "terraform_data" "network" {
  input = "net-of-the-platform"
}
resource "terraform_data" "cluster" {
  input = "cluster-on-${terraform_data.network.output}"
}
`

// wizardProcess is `catalyst bootstrap` running as a child process.
type wizardProcess struct {
	cmd    *exec.Cmd
	url    string
	stderr *bytes.Buffer
	exited chan struct{}
}

// startWizard runs the built binary and waits for the URL it prints.
func startWizard(t *testing.T, bin string, args ...string) *wizardProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"bootstrap"}, args...)...)
	var env []string
	for _, e := range os.Environ() { // the key comes from the data directory
		if !strings.HasPrefix(e, "CATALYST_WIZARD_") {
			env = append(env, e)
		}
	}
	cmd.Env = append(env, AdminPasswordEnv+"="+processPassword)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &wizardProcess{cmd: cmd, stderr: &bytes.Buffer{}, exited: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		re := regexp.MustCompile(`serving the wizard at (http://127\.0\.0\.1:\d+)/`)
		for sc.Scan() {
			p.stderr.WriteString(sc.Text() + "\n")
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	go func() { cmd.Wait(); pw.Close(); close(p.exited) }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.exited
		}
	})
	select {
	case p.url = <-found:
	case <-p.exited:
		t.Fatalf("catalyst bootstrap exited before printing its URL:\n%s", p.stderr)
	case <-time.After(time.Minute):
		t.Fatalf("catalyst bootstrap printed no URL within a minute:\n%s", p.stderr)
	}
	return p
}

// kill is a crash: SIGKILL, no chance to journal or give up a lease.
func (p *wizardProcess) kill(t *testing.T) {
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

const processPassword = "process-test-admin-password"

// api is the browser: the session cookie and CSRF token outlive the
// process, since sessions are stored.
type api struct {
	t    *testing.T
	base string
	http *http.Client
	csrf string
}

func (a *api) do(method, path string, body any) (int, []byte) {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, a.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", a.csrf)
	res, err := a.http.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, data
}

func (a *api) must(method, path string, body any, want int) []byte {
	a.t.Helper()
	code, data := a.do(method, path, body)
	if code != want {
		a.t.Fatalf("%s %s = %d %s, want %d", method, path, code, data, want)
	}
	return data
}

type event struct {
	ID   int64
	Kind string
	Step string
	Text string
}

// events reads the feed after id until stop; a failed run ends it too.
func (a *api) events(bootstrap string, after int64, stop func(event) bool) []event {
	a.t.Helper()
	req, _ := http.NewRequest("GET", a.base+"/api/v1/bootstraps/"+bootstrap+"/apply/events", nil)
	req.Header.Set("Last-Event-ID", strconv.FormatInt(after, 10))
	client := *a.http
	client.Timeout = 3 * time.Minute // guards a hung test only
	res, err := client.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	var out []event
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var e event
		if err := json.Unmarshal([]byte(data), &e); err != nil {
			a.t.Fatal(err)
		}
		out = append(out, e)
		if strings.HasPrefix(e.Text, "failed") {
			a.t.Fatalf("the apply failed: %+v", e)
		}
		if stop(e) {
			return out
		}
	}
	a.t.Fatalf("feed ended early: %+v (%v)", out, sc.Err())
	return nil
}

// stepBodies splits an example spec into the wizard's step bodies.
func stepBodies(t *testing.T, path string) map[string]map[string]any {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	in, err := instance.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(in.Spec)
	var spec map[string]any
	json.Unmarshal(js, &spec)
	out := map[string]map[string]any{}
	for _, st := range wizard.Steps {
		out[st.Name] = map[string]any{}
		for _, f := range st.Fields {
			if v, ok := spec[f]; ok {
				out[st.Name][f] = v
			}
		}
	}
	return out
}

// TestManagedApplySurvivesSIGKILL builds catalyst, runs `catalyst bootstrap`
// as a child process with managed apply on the real tofu (a configuration
// of built-in resources beside the generated variables.tf), SIGKILLs it
// right after init is journalled, starts it again on the same data
// directory and key, and the apply resumes from the last completed step
// (init is not journalled again) and finishes after approval. The database
// file, and every file the apply leaves, then holds no credential.
func TestManagedApplySurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds catalyst and runs tofu")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "catalyst")
	if out, err := exec.Command("go", "build", "-o", bin, "../../../cmd/catalyst").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tofu := tofutest.Bin(t)
	config := filepath.Join(tmp, "rehearsal")
	os.Mkdir(config, 0o700)
	if err := os.WriteFile(filepath.Join(config, "main.tf"), []byte(rehearsalTF), 0o600); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(tmp, "data")
	args := []string{"--listen", "127.0.0.1:0", "--data-dir", data, "--tofu", tofu, "--apply-config", config, "--apply-lease", "2s"}

	p := startWizard(t, bin, args...)
	jar, _ := cookiejar.New(nil)
	a := &api{t: t, base: p.url, http: &http.Client{Jar: jar}}
	a.must("POST", "/api/v1/login", map[string]string{"username": "admin", "password": processPassword}, http.StatusNoContent)
	var sess struct{ CSRF string }
	json.Unmarshal(a.must("GET", "/api/v1/session", nil, 200), &sess)
	a.csrf = sess.CSRF
	var b struct{ ID string }
	json.Unmarshal(a.must("POST", "/api/v1/bootstraps", nil, http.StatusCreated), &b)
	bodies := stepBodies(t, "../../../examples/one-region.yaml")
	for _, st := range wizard.Steps { // in order: later steps are checked against earlier ones
		if len(st.Fields) > 0 {
			a.must("PUT", "/api/v1/bootstraps/"+b.ID+"/steps/"+st.Name, bodies[st.Name], 200)
		}
	}
	pub, _ := ssh.NewPublicKey(ed25519.NewKeyFromSeed(bytes.Repeat([]byte{9}, ed25519.SeedSize)).Public())
	secret := func(n int) string { r := make([]byte, n); rand.Read(r); return hex.EncodeToString(r) }
	typed := map[string]string{
		"hcloud-token":         secret(32), // 64 hex characters
		"dns-token":            "dns" + secret(12),
		"s3-access-key-id":     "AKIA" + secret(8),
		"s3-secret-access-key": "s3" + secret(16),
		"ssh-public-key":       strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub))),
		"admin-cidrs":          "198.51.100.0/24",
	}
	a.must("PUT", "/api/v1/bootstraps/"+b.ID+"/credentials", typed, 200)
	held := []string{typed["hcloud-token"], typed["dns-token"], typed["s3-access-key-id"], typed["s3-secret-access-key"]}
	for _, name := range []string{"state-passphrase", "k3s-token"} {
		var g struct{ Value string }
		json.Unmarshal(a.must("POST", "/api/v1/bootstraps/"+b.ID+"/credentials/generate?name="+name, nil, http.StatusCreated), &g)
		held = append(held, g.Value)
	}

	a.must("POST", "/api/v1/bootstraps/"+b.ID+"/apply", nil, http.StatusAccepted)
	first := a.events(b.ID, 0, func(e event) bool { return e.Kind == "step" && e.Step == "init" })
	p.kill(t) // between init and plan

	p = startWizard(t, bin, args...) // same data directory, same wizard.key
	a.base = p.url
	seen := first[len(first)-1].ID
	rest := a.events(b.ID, seen, func(e event) bool { return e.Kind == "status" && e.Text == "awaiting-approval" })
	if rest[0].ID != seen+1 {
		t.Fatalf("the restarted wizard's feed starts at %d, want %d", rest[0].ID, seen+1)
	}
	for _, e := range rest {
		if e.Kind == "step" && e.Step == "init" {
			t.Fatalf("init was journalled again after the restart: %+v", e)
		}
	}
	var st struct{ Next, Plan string }
	json.Unmarshal(a.must("GET", "/api/v1/bootstraps/"+b.ID+"/apply", nil, 200), &st)
	if st.Next != "approve" || !strings.Contains(st.Plan, "2 to add") {
		t.Fatalf("after the restart: next %q, plan:\n%s", st.Next, st.Plan)
	}
	a.must("POST", "/api/v1/bootstraps/"+b.ID+"/apply/approve", nil, http.StatusAccepted)
	a.events(b.ID, rest[len(rest)-1].ID, func(e event) bool { return e.Kind == "status" && e.Text == "done" })
	var fin struct {
		Steps []struct{ Step string }
	}
	json.Unmarshal(a.must("GET", "/api/v1/bootstraps/"+b.ID+"/apply", nil, 200), &fin)
	var steps []string
	for _, s := range fin.Steps {
		steps = append(steps, s.Step)
	}
	if strings.Join(steps, ",") != "init,plan,approve,applying,apply" {
		t.Fatalf("journal = %v", steps)
	}
	a.must("POST", "/api/v1/bootstraps/"+b.ID+"/complete", nil, 200)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	<-p.exited

	err := filepath.Walk(data, func(path string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		content, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, v := range held {
			if bytes.Contains(content, []byte(v)) {
				t.Errorf("%s holds a credential in clear", strings.TrimPrefix(path, data+"/"))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(data, "wizard.db")); err != nil {
		t.Fatalf("no database file to scan: %v", err)
	}
}
