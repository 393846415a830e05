package flux_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// jobScript returns the Job's shell script and env of a replication file.
func jobScript(t *testing.T, files map[string][]byte, path, name string) (string, []any) {
	t.Helper()
	job := find(t, files, path, "Job", name)
	c := job["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
	cmd := c["command"].([]any)
	return cmd[2].(string), c["env"].([]any)
}

var replicationFiles = map[string]string{
	"minio":  "clusters/fsn/platform/minio/replication.yaml",
	"harbor": "clusters/fsn/platform/harbor/replication.yaml",
	"gitea":  "clusters/fsn/infrastructure/gitea/replication.yaml",
}

// The primary region's Jobs are valid shell, take every credential from
// a Secret, and the standby has none.
func TestReplicationJobs(t *testing.T) {
	files := render(t, readExample(t, "two-region"), realCatalog(t))
	for c, path := range replicationFiles {
		script, env := jobScript(t, files, path, c+"-replication")
		if out, err := exec.Command("sh", "-n", "-c", script).CombinedOutput(); err != nil {
			t.Errorf("%s: script is not valid shell: %v %s", c, err, out)
		}
		for _, e := range env {
			if _, ok := e.(map[string]any)["valueFrom"].(map[string]any)["secretKeyRef"]; !ok {
				t.Errorf("%s: env %v not from a Secret", c, e)
			}
		}
		standby := strings.Replace(path, "/fsn/", "/hel/", 1)
		if strings.Contains(string(files[standby]), "kind: Job") {
			t.Errorf("%s: the standby region has a replication Job", standby)
		}
	}
}

// runScript runs a Job's script with the local curl against srv in
// place of the in-cluster address.
func runScript(t *testing.T, script, inCluster, srv string, env ...string) {
	t.Helper()
	if _, err := exec.LookPath("curl"); err != nil {
		t.Fatalf("curl is needed to run the Job's script: %v", err)
	}
	cmd := exec.Command("sh", "-ec", strings.ReplaceAll(script, inCluster, srv))
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("script: %v\n%s", err, out)
	}
}

// The Gitea Job against a fake of the documented push_mirrors endpoints
// (no Gitea server runs here; a real one comes with the day-2 issue):
// the first run creates the mirror, the second finds it.
func TestGiteaPushMirrorJobIsIdempotent(t *testing.T) {
	files := render(t, readExample(t, "two-region"), realCatalog(t))
	script, _ := jobScript(t, files, replicationFiles["gitea"], "gitea-replication")
	var mu sync.Mutex
	var mirrors []map[string]any
	posts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if u, p, _ := r.BasicAuth(); u != "gitea-admin" || p != "localPW1" || !strings.HasSuffix(r.URL.Path, "/push_mirrors") {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			var m map[string]any
			b, _ := io.ReadAll(r.Body)
			if err := json.Unmarshal(b, &m); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			posts++
			delete(m, "remote_password") // Gitea never returns it
			mirrors = append(mirrors, m)
		}
		_ = json.NewEncoder(w).Encode(mirrors)
	}))
	defer srv.Close()
	env := []string{"SRC_USER=gitea-admin", "SRC_PASSWORD=localPW1", "DST_USER=gitea-admin", "DST_PASSWORD=peerPW2"}
	for range 2 {
		runScript(t, script, "http://gitea-http.gitea.svc:3000", srv.URL, env...)
	}
	if posts != 1 {
		t.Fatalf("%d push mirrors created over two runs, want 1", posts)
	}
	if got := mirrors[0]["remote_address"]; got != "http://gitea-hel.gitea.svc:3000/bank/bank-private.git" {
		t.Errorf("remote_address %v", got)
	}
}

// The Harbor Job against a fake of the documented Harbor v2.0 endpoints
// (registries, replication/policies; no Harbor runs here): the first run
// creates the peer's registry endpoint and the policy pointing at it,
// the second creates nothing.
func TestHarborReplicationJobIsIdempotent(t *testing.T) {
	files := render(t, readExample(t, "two-region"), realCatalog(t))
	script, _ := jobScript(t, files, replicationFiles["harbor"], "harbor-replication")
	var mu sync.Mutex
	store := map[string][]map[string]any{}
	posts := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if u, p, _ := r.BasicAuth(); u != "admin" || p != "localPW1" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		kind := strings.TrimPrefix(r.URL.Path, "/api/v2.0/")
		if kind != "registries" && kind != "replication/policies" {
			http.NotFound(w, r)
			return
		}
		if r.Method == http.MethodPost {
			var m map[string]any
			if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
				http.Error(w, err.Error(), 400)
				return
			}
			posts++
			m["id"] = float64(len(store[kind]) + 7)
			store[kind] = append(store[kind], m)
			w.WriteHeader(http.StatusCreated)
			return
		}
		want := strings.TrimPrefix(r.URL.Query().Get("q"), "name=")
		out := []map[string]any{}
		for _, m := range store[kind] {
			if m["name"] == want {
				out = append(out, m)
			}
		}
		_ = json.NewEncoder(w).Encode(out)
	}))
	defer srv.Close()
	for range 2 {
		runScript(t, script, "http://harbor-fsn.harbor.svc:80", srv.URL, "SRC_PASSWORD=localPW1", "DST_PASSWORD=peerPW2")
	}
	if posts != 2 || len(store["registries"]) != 1 || len(store["replication/policies"]) != 1 {
		t.Fatalf("%d creations over two runs (%v), want the registry and the policy once", posts, store)
	}
	reg, pol := store["registries"][0], store["replication/policies"][0]
	if reg["url"] != "http://harbor-hel.harbor.svc:80" || reg["credential"].(map[string]any)["access_secret"] != "peerPW2" {
		t.Errorf("registry %v", reg)
	}
	if pol["dest_registry"].(map[string]any)["id"] != reg["id"] || pol["name"] != "to-hel" {
		t.Errorf("policy %v does not point at registry %v", pol, reg["id"])
	}
}
