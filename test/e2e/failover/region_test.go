package failover_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	discoveryv1 "k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/openova-io/openova/internal/testenv"
)

var httpClient = &http.Client{Timeout: 300 * time.Millisecond}

// Short timing for test speed: renew 1s, TTL 3s, retry 0.5s, fence
// margin 0.5s (local deadline 2.38s after each renewal is sent).
const (
	ttl         = 3 * time.Second
	renew       = time.Second
	retry       = 500 * time.Millisecond
	fenceMargin = 500 * time.Millisecond
)

// region is one cluster: its API server, its controller process and the
// proxy on its path to the witness.
type region struct {
	name, peer string
	env        *testenv.Env
	proxy      *proxy
	ctrl       *proc
	listen     string
	dir        string

	mu     sync.Mutex
	frozen bool
}

func newRegion(t *testing.T, name, peer string, env *testenv.Env, witness string) *region {
	t.Helper()
	r := &region{name: name, peer: peer, env: env, proxy: newProxy(t, witness), dir: t.TempDir()}
	ns := "shop"
	if err := env.EnsureNamespace(context.Background(), ns); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{fmt.Sprintf(`
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata: {name: pg-%[1]s, namespace: shop}
spec:
  instances: 1
  storage: {size: 1Gi}
  replica: {primary: pg-a, source: pg-%[2]s}
  externalClusters:
  - {name: pg-%[1]s, connectionParameters: {host: pg-%[1]s-rw, user: streaming_replica}}
  - {name: pg-%[2]s, connectionParameters: {host: pg-%[2]s-rw, user: streaming_replica}}
`, name, peer), `
apiVersion: v1
kind: Service
metadata: {name: api, namespace: shop}
spec: {selector: {app: api}, ports: [{port: 80}]}
`, fmt.Sprintf(`
apiVersion: failover.openova.io/v1alpha1
kind: FailoverGroup
metadata: {name: shop, namespace: shop}
spec:
  region: %[1]s
  peerRegion: %[2]s
  mode: automatic
  witness: {url: "http://%[3]s", leaseName: shop, credentialsSecretRef: {name: witness}}
  timing: {renewInterval: %[4]s, ttl: %[5]s, retryTimeout: %[6]s}
  rpo: {maxLagSeconds: 0}
  layers:
    external: {gates: [{gateService: shop-gate}]}
    internal: {services: [{name: api}]}
    stateful:
      cnpg: [{name: pg-%[1]s, peerCluster: pg-%[2]s}]
      cnpgSelector: {matchLabels: {failover.openova.io/follow: "true"}}
`, name, peer, r.proxy.addr(), renew, ttl, retry)} {
		u := &discoveryv1.Unstructured{}
		if err := yaml.Unmarshal([]byte(m), &u.Object); err != nil {
			t.Fatal(err)
		}
		if err := env.Client.Create(context.Background(), u); err != nil {
			t.Fatalf("region %s: create %s: %v", name, u.GetKind(), err)
		}
	}
	return r
}

// startController runs the failover-controller binary against the
// region's API server through a kubeconfig file, as by hand, with read
// access to the peer's API server for CNPG's demotion token.
func (r *region) startController(t *testing.T, peer *region) {
	t.Helper()
	kc := filepath.Join(r.dir, "kubeconfig")
	pkc := filepath.Join(r.dir, "peer-kubeconfig")
	tok := filepath.Join(r.dir, "token")
	for p, b := range map[string][]byte{kc: r.env.Kubeconfig, pkc: peer.env.Kubeconfig, tok: []byte("token-" + r.name + "\n")} {
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r.listen = freeAddr(t)
	r.ctrl = start(t, filepath.Join(logDir(t), "controller-"+r.name+".log"), "failover-controller",
		"--kubeconfig", kc, "--peer-kubeconfig", pkc, "--region", r.name, "--peer-region", r.peer,
		"--witness-url", "http://"+r.proxy.addr(), "--lease-name", "shop", "--witness-token-file", tok,
		"--renew-interval", renew.String(), "--ttl", ttl.String(), "--retry-timeout", retry.String(),
		"--fence-margin", fenceMargin.String(), "--listen", r.listen, "--log-level", "info")
	waitHTTP(t, "http://"+r.listen+"/healthz")
}

type status struct {
	State string `json:"state"`
	Epoch uint64 `json:"epoch"`
}

// status reads /status; an unanswered request (frozen, starting) is "".
func (r *region) status() status {
	resp, err := httpClient.Get("http://" + r.listen + "/status")
	if err != nil {
		return status{}
	}
	defer resp.Body.Close()
	var s status
	_ = json.NewDecoder(resp.Body).Decode(&s)
	return s
}

// ready is what a kubelet readiness probe on /ready would see.
func (r *region) ready() bool {
	resp, err := httpClient.Get("http://" + r.listen + "/ready")
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (r *region) setFrozen(f bool) {
	r.mu.Lock()
	r.frozen = f
	r.mu.Unlock()
}

func (r *region) isFrozen() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.frozen
}

// effects reads what the region's API server says the region serves: the
// gate EndpointSlice's ready condition (what k8gb sees) and whether its
// CNPG Cluster is designated primary and not fenced.
func (r *region) effects(ctx context.Context) (gate, primary bool, err error) {
	es := &discoveryv1.Unstructured{}
	es.SetAPIVersion("discovery.k8s.io/v1")
	es.SetKind("EndpointSlice")
	if err := r.env.Client.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "shop-gate-gate"}, es); err == nil {
		eps, _, _ := discoveryv1.NestedSlice(es.Object, "endpoints")
		if len(eps) == 1 {
			ready, _, _ := discoveryv1.NestedBool(eps[0].(map[string]any), "conditions", "ready")
			gate = ready
		}
	} else if client.IgnoreNotFound(err) != nil {
		return false, false, err
	}
	pg := r.cluster()
	if err := r.env.Client.Get(ctx, client.ObjectKeyFromObject(pg), pg); err != nil {
		return false, false, err
	}
	p, _, _ := discoveryv1.NestedString(pg.Object, "spec", "replica", "primary")
	_, fenced := pg.GetAnnotations()["cnpg.io/fencedInstances"]
	return gate, p == "pg-"+r.name && !fenced, nil
}

func (r *region) cluster() *discoveryv1.Unstructured {
	pg := &discoveryv1.Unstructured{}
	pg.SetAPIVersion("postgresql.cnpg.io/v1")
	pg.SetKind("Cluster")
	pg.SetNamespace("shop")
	pg.SetName("pg-" + r.name)
	return pg
}

// rebuild plays the DBA after an unplanned failover: the old primary was
// marked for rebuild (it may hold writes its peer never got); once it is
// re-cloned as a replica the mark is removed. No CNPG operator runs here,
// so removing the mark is all there is to do.
func (r *region) rebuild(t *testing.T) bool {
	t.Helper()
	pg := r.cluster()
	if err := r.env.Client.Get(context.Background(), client.ObjectKeyFromObject(pg), pg); err != nil {
		t.Fatal(err)
	}
	ann := pg.GetAnnotations()
	if _, ok := ann["failover.openova.io/rebuild-required"]; !ok {
		return false
	}
	delete(ann, "failover.openova.io/rebuild-required")
	pg.SetAnnotations(ann)
	if err := r.env.Client.Update(context.Background(), pg); err != nil {
		t.Fatal(err)
	}
	return true
}

// logs is the directory of the processes' logs: E2E_LOG_DIR to keep them,
// else one temporary directory whose logs are printed if the test fails.
var logs string

// playCNPGOperator does what the CNPG operator would do once the
// region's Cluster is demoted (spec.replica.primary names the peer):
// publish status.demotionToken with a Ready condition for that generation.
// No operator runs here.
func (r *region) playCNPGOperator(ctx context.Context, token string) error {
	return r.playCNPGOperatorOn(ctx, r.cluster, "pg-"+r.peer, token)
}

// playCNPGOperatorOn plays the operator for the Cluster of cluster(),
// demoted when its spec.replica.primary becomes peer.
func (r *region) playCNPGOperatorOn(ctx context.Context, cluster func() *discoveryv1.Unstructured, peer, token string) error {
	for ctx.Err() == nil {
		pg := cluster()
		if err := r.env.Client.Get(ctx, client.ObjectKeyFromObject(pg), pg); err != nil {
			return err
		}
		if p, _, _ := discoveryv1.NestedString(pg.Object, "spec", "replica", "primary"); p == peer {
			_ = discoveryv1.SetNestedField(pg.Object, token, "status", "demotionToken")
			_ = discoveryv1.SetNestedSlice(pg.Object, []any{map[string]any{"type": "Ready", "status": "True", "reason": "ClusterIsReady",
				"message": "demoted", "observedGeneration": pg.GetGeneration(), "lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}}, "status", "conditions")
			return r.env.Client.Status().Update(ctx, pg)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ctx.Err()
}

func logDir(t *testing.T) string {
	if logs != "" {
		return logs
	}
	if logs = os.Getenv("E2E_LOG_DIR"); logs != "" {
		return logs
	}
	logs = t.TempDir()
	t.Cleanup(func() {
		if t.Failed() {
			entries, _ := os.ReadDir(logs)
			for _, e := range entries {
				b, _ := os.ReadFile(filepath.Join(logs, e.Name()))
				if len(b) > 6000 {
					b = b[len(b)-6000:]
				}
				t.Logf("--- tail of %s ---\n%s", e.Name(), b)
			}
		}
		logs = ""
	})
	return logs
}

// createRequested creates the region's member of a requested database as
// the portal renders it: in a team namespace, labelled to follow the
// active region, the same metadata.name in both regions told apart by
// spec.replica.self, region a's member designated primary.
func (r *region) createRequested(t *testing.T) {
	t.Helper()
	if err := r.env.EnsureNamespace(context.Background(), "team-orders"); err != nil {
		t.Fatal(err)
	}
	u := &discoveryv1.Unstructured{}
	if err := yaml.Unmarshal([]byte(fmt.Sprintf(`
apiVersion: postgresql.cnpg.io/v1
kind: Cluster
metadata:
  name: orders
  namespace: team-orders
  labels: {failover.openova.io/follow: "true"}
spec:
  instances: 1
  storage: {size: 1Gi}
  replica: {primary: orders-a, self: orders-%[1]s, source: orders-%[2]s}
  externalClusters:
  - {name: orders-%[1]s, connectionParameters: {host: orders-%[1]s.team-orders.svc, user: streaming_replica}}
  - {name: orders-%[2]s, connectionParameters: {host: orders-%[2]s.team-orders.svc, user: streaming_replica}}
`, r.name, r.peer)), &u.Object); err != nil {
		t.Fatal(err)
	}
	if err := r.env.Client.Create(context.Background(), u); err != nil {
		t.Fatalf("region %s: create the requested Cluster: %v", r.name, err)
	}
}

func (r *region) requested() *discoveryv1.Unstructured {
	pg := r.cluster()
	pg.SetNamespace("team-orders")
	pg.SetName("orders")
	return pg
}

// requestedReplica reads the requested member's spec.replica.
func (r *region) requestedReplica(t *testing.T) map[string]string {
	t.Helper()
	pg := r.requested()
	if err := r.env.Client.Get(context.Background(), client.ObjectKeyFromObject(pg), pg); err != nil {
		t.Fatal(err)
	}
	m, _, _ := discoveryv1.NestedStringMap(pg.Object, "spec", "replica")
	return m
}
