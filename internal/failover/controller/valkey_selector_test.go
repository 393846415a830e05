package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/actuator"
	"github.com/openova-io/openova/internal/valkeytest"
)

const teamValkeyPassword = "team-valkey-default-password"

// teamValkey is one region's side of a portal-style Tier-1 Valkey in a
// team namespace: the Services cache-a and cache-b (Cilium global Services
// in a cluster; here plain ones) and the users Secret, this region's
// Service labelled and annotated as the portal renders it.
func teamValkey(t *testing.T, teamNS, fgNS, self, peer string) {
	t.Helper()
	for _, svc := range []string{"cache-" + self, "cache-" + peer} {
		meta := fmt.Sprintf("{name: %s, namespace: %s}", svc, teamNS)
		if svc == "cache-"+self {
			meta = fmt.Sprintf(`
  name: %s
  namespace: %s
  labels: {%s: "true", test.openova.io/region: %s}
  annotations: {%s: cache-%s, %s: cache-valkey-users}`, svc, teamNS, failoverv1.FollowActiveRegionLabel, fgNS,
				failoverv1.ValkeyPeerServiceAnnotation, peer, failoverv1.ValkeySecretAnnotation)
		}
		apply(t, fmt.Sprintf(`
apiVersion: v1
kind: Service
metadata: %s
spec: {selector: {app: cache}, ports: [{name: tcp, port: 6379}]}
`, meta))
	}
	apply(t, fmt.Sprintf(`
apiVersion: v1
kind: Secret
metadata: {name: cache-valkey-users, namespace: %s}
stringData: {default: %q, replication: other}
`, teamNS, teamValkeyPassword))
}

func redisRole(t *testing.T, addr string) (string, string) {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Password: teamValkeyPassword})
	defer c.Close()
	res, err := c.Do(context.Background(), "ROLE").Slice()
	if err != nil {
		t.Fatalf("ROLE on %s: %v", addr, err)
	}
	if res[0] == "master" {
		return "master", ""
	}
	return "slave", fmt.Sprintf("%v:%v", res[1], res[2])
}

func findValkey(fg *failoverv1.FailoverGroup, name string) *failoverv1.SelectedValkey {
	for i := range fg.Status.SelectedValkey {
		if fg.Status.SelectedValkey[i].Name == name {
			return &fg.Status.SelectedValkey[i]
		}
	}
	return nil
}

// A team's Tier-1 Valkey selected by its Services' labels follows the
// active region as the platform's does, with two real redis-servers (one
// per region) and the real API server: the selector added to a running
// controller (no restart) promotes the active region's instance, which
// had been a replica; the standby region's instance REPLICAOF it; a
// switchover re-points both, each actuation stamped with the epoch, and a
// command of the old term is then refused. status.selectedValkey shows
// each instance's role, epoch and convergence, and a labelled Service
// without its password Secret is reported, never actuated.
//
// Cluster DNS cannot resolve here, so the controller's ValkeyAddress maps
// each Service name to its redis-server's loopback address (the only
// stand-in; the REPLICAOF commands the servers get carry those addresses).
func TestFailoverGroupValkeySelector(t *testing.T) {
	ctx := context.Background()
	addr := map[string]string{"cache-a": valkeytest.StartServer(t, teamValkeyPassword), "cache-b": valkeytest.StartServer(t, teamValkeyPassword)}
	mapped := func(_, svc string, _ int32) string {
		if a, ok := addr[svc]; ok {
			return a
		}
		return svc + ":6379"
	}
	// As rendered with b first: a's instance starts as b's replica.
	ca := redis.NewClient(&redis.Options{Addr: addr["cache-a"], Password: teamValkeyPassword})
	defer ca.Close()
	host, port, _ := strings.Cut(addr["cache-b"], ":")
	if err := ca.Do(ctx, "REPLICAOF", host, port).Err(); err != nil {
		t.Fatal(err)
	}

	url := startWitness(t)
	selector := fmt.Sprintf(`{matchLabels: {%s: "true", test.openova.io/region: %%s}}`, failoverv1.FollowActiveRegionLabel)
	newRegion := func(ns, name, peer string, withSelector bool) *region {
		sel := "{}"
		if withSelector {
			sel = "{valkeySelector: " + fmt.Sprintf(selector, ns) + "}"
		}
		apply(t, fmt.Sprintf(`
apiVersion: failover.openova.io/v1alpha1
kind: FailoverGroup
metadata: {name: shop, namespace: %[1]s}
spec:
  region: %[2]s
  peerRegion: %[3]s
  mode: automatic
  witness: {url: %[4]q, leaseName: shop-vk, credentialsSecretRef: {name: witness}}
  timing: {renewInterval: 400ms, ttl: 2s, retryTimeout: 300ms}
  rpo: {maxLagSeconds: 0}
  layers:
    external: {gates: [{gateService: shop-gate}]}
    stateful: %[5]s
`, ns, name, peer, url, sel))
		return &region{name: name, peer: peer, ns: ns}
	}
	a := newRegion("vk-a", "a", "b", false)
	b := newRegion("vk-b", "b", "a", true)
	teamValkey(t, "team-vk-a", "vk-a", "a", "b")
	teamValkey(t, "team-vk-b", "vk-b", "b", "a")
	// Labelled, but its Secret is not there: reported, never actuated.
	apply(t, fmt.Sprintf(`
apiVersion: v1
kind: Service
metadata:
  name: sessions-a
  namespace: team-vk-a
  labels: {%s: "true", test.openova.io/region: vk-a}
  annotations: {%s: cache-b, %s: sessions-valkey-users}
spec: {selector: {app: sessions}, ports: [{port: 6379}]}
`, failoverv1.FollowActiveRegionLabel, failoverv1.ValkeyPeerServiceAnnotation, failoverv1.ValkeySecretAnnotation))

	runWith := func(r *region) {
		r.runOpts(t, url, "shop-vk", func(o *ManagerOptions) { o.ValkeyAddress = mapped })
	}
	runWith(a)
	a.waitState(t, failoverv1.StateActive)
	if role, _ := redisRole(t, addr["cache-a"]); role != "slave" {
		t.Fatalf("a's Valkey is %s before any selector selects it; want it untouched (a replica)", role)
	}
	a.updateSpec(t, func(fg *failoverv1.FailoverGroup) {
		fg.Spec.Layers.Stateful.ValkeySelector = &metav1.LabelSelector{MatchLabels: map[string]string{
			failoverv1.FollowActiveRegionLabel: "true", "test.openova.io/region": "vk-a"}}
	})
	waitFor(t, "a's team Valkey promoted by the running controller", func() bool {
		role, _ := redisRole(t, addr["cache-a"])
		return role == "master"
	})
	epoch := a.group(t).Status.Epoch
	waitFor(t, "a's status.selectedValkey and the problem", func() bool {
		fg := a.group(t)
		c, s := findValkey(fg, "cache-a"), findValkey(fg, "sessions-a")
		d := apimeta.FindStatusCondition(fg.Status.Conditions, ConditionDegraded)
		return c != nil && c.Converged && s != nil && d != nil && d.Status == metav1.ConditionTrue &&
			historyMentions(fg, "activate valkey team-vk-a/cache-a", "done") && historyMentions(fg, "valkey team-vk-a/sessions-a", "not actuated")
	})
	fg := a.group(t)
	if c := findValkey(fg, "cache-a"); c.Role != failoverv1.ValkeyRolePrimary || c.Epoch != epoch || c.PeerService != "cache-b" ||
		c.Address != addr["cache-a"] || c.PeerAddress != addr["cache-b"] || c.LastError != "" || c.Problem != "" {
		t.Errorf("cache-a: %+v; want Primary at epoch %d, peer cache-b, no error", c, epoch)
	}
	if s := findValkey(fg, "sessions-a"); !strings.Contains(s.Problem, "team-vk-a/sessions-valkey-users does not exist") || s.Converged {
		t.Errorf("sessions-a: %+v; want the missing Secret as its problem", s)
	}
	if strings.Contains(fmt.Sprint(fg.Status), teamValkeyPassword) {
		t.Fatal("the Valkey password is in the FailoverGroup's status")
	}
	// The controller's /status says the same without the API server.
	var st StatusJSON
	getJSON(t, "http://"+a.listen+"/status", &st)
	if len(st.SelectedValkey) != 2 || st.SelectedValkey[0].Name != "cache-a" || !st.SelectedValkey[0].Converged ||
		st.SelectedValkey[0].Role != failoverv1.ValkeyRolePrimary || st.SelectedValkey[1].Problem == "" {
		t.Errorf("/status selectedValkey = %+v", st.SelectedValkey)
	}

	runWith(b)
	b.waitState(t, failoverv1.StateStandby)
	waitFor(t, "b's team Valkey replicates a's", func() bool {
		role, of := redisRole(t, addr["cache-b"])
		return role == "slave" && of == addr["cache-a"]
	})
	if err := ca.Set(ctx, "cart:42", "3 items", 0).Err(); err != nil {
		t.Fatal(err)
	}
	cb := redis.NewClient(&redis.Options{Addr: addr["cache-b"], Password: teamValkeyPassword})
	defer cb.Close()
	waitFor(t, "a write in a replicated to b", func() bool { v, _ := cb.Get(ctx, "cart:42").Result(); return v == "3 items" })
	waitFor(t, "b's status shows its replica converged", func() bool {
		c := findValkey(b.group(t), "cache-b")
		return c != nil && c.Converged && c.Role == failoverv1.ValkeyRoleReplica && c.ReplicaOf == addr["cache-a"] && c.Epoch == epoch
	})

	a.updateSpec(t, func(fg *failoverv1.FailoverGroup) {
		fg.Spec.Switchover = &failoverv1.SwitchoverRequest{ID: "drill-vk", Target: "b", By: "alice@bank.example"}
	})
	fgb := b.waitState(t, failoverv1.StateActive)
	a.waitState(t, failoverv1.StateStandby)
	if role, _ := redisRole(t, addr["cache-b"]); role != "master" {
		t.Fatalf("after the switchover b's Valkey is %s, want master", role)
	}
	waitFor(t, "a's Valkey re-pointed at b", func() bool {
		role, of := redisRole(t, addr["cache-a"])
		return role == "slave" && of == addr["cache-b"]
	})
	if v, _ := cb.Get(ctx, "cart:42").Result(); v != "3 items" {
		t.Fatalf("the data written in a is not in b after the switchover: %q", v)
	}
	waitFor(t, "both regions' status converged at the new epoch", func() bool {
		fgb = b.group(t)
		ca, cb := findValkey(a.group(t), "cache-a"), findValkey(fgb, "cache-b")
		return ca != nil && cb != nil && ca.Converged && cb.Converged && cb.Epoch == fgb.Status.Epoch && ca.Epoch == fgb.Status.Epoch &&
			historyMentions(fgb, "activate valkey team-vk-b/cache-b", "done")
	})
	if fgb.Status.Epoch <= epoch {
		t.Fatalf("switchover epoch %d not above %d", fgb.Status.Epoch, epoch)
	}
	// A delayed command of a's old term is refused by the stamp.
	old := actuator.NewValkey(addr["cache-b"], addr["cache-a"], teamValkeyPassword)
	defer old.Close()
	if err := old.Deactivate(ctx, uint64(epoch)); !errors.Is(err, actuator.ErrStaleEpoch) {
		t.Fatalf("deactivating b's Valkey at the old epoch %d: %v, want ErrStaleEpoch", epoch, err)
	}
}

// A password Valkey refuses makes the next resolution read the Secret
// again, so a rotated password is picked up without a restart; until
// then the instance's actuations fail (and are retried), never silently
// succeed. A real redis-server and the real API server.
func TestValkeySelectionRereadsARefusedPassword(t *testing.T) {
	ctx := context.Background()
	addr := valkeytest.StartServer(t, teamValkeyPassword)
	teamValkey(t, "team-vk-pw", "vk-pw", "a", "b")
	sec := &corev1.Secret{}
	if err := env.Client.Get(ctx, client.ObjectKey{Namespace: "team-vk-pw", Name: "cache-valkey-users"}, sec); err != nil {
		t.Fatal(err)
	}
	sec.Data = map[string][]byte{failoverv1.ValkeySecretKey: []byte("stale-password")}
	if err := env.Client.Update(ctx, sec); err != nil {
		t.Fatal(err)
	}
	fg := &failoverv1.FailoverGroup{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "vk-pw"}}
	fg.Spec.Layers.Stateful.ValkeySelector = &metav1.LabelSelector{MatchLabels: map[string]string{"test.openova.io/region": "vk-pw"}}
	sel, err := NewValkeySelection(env.Client, env.Client, func(string, string, int32) string { return addr }, fg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer sel.close()
	acts, err := sel.Resolve(ctx)
	if err != nil || len(acts) != 1 {
		t.Fatalf("resolved %d actuators, %v", len(acts), err)
	}
	if err = acts[0].Activate(ctx, 3); err == nil || !strings.Contains(err.Error(), "WRONGPASS") {
		t.Fatalf("activate with the stale password: %v, want WRONGPASS", err)
	}
	if strings.Contains(err.Error(), "stale-password") {
		t.Fatal("the password is in the error")
	}
	sec.Data = map[string][]byte{failoverv1.ValkeySecretKey: []byte(teamValkeyPassword)}
	if err := env.Client.Update(ctx, sec); err != nil {
		t.Fatal(err)
	}
	if acts, err = sel.Resolve(ctx); err != nil || len(acts) != 1 {
		t.Fatalf("resolved %d actuators, %v", len(acts), err)
	}
	if err := acts[0].Activate(ctx, 3); err != nil {
		t.Fatalf("activate after the Secret was rotated: %v", err)
	}
	if got := sel.Observe(ctx, time.Second); len(got) != 1 || got[0].Role != failoverv1.ValkeyRolePrimary || got[0].Epoch != 3 {
		t.Fatalf("observed %+v; want Primary at epoch 3", got)
	}
}
