package manager

import (
	"context"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/openova-io/openova/internal/manager"
	"github.com/openova-io/openova/internal/manager/web"
	"github.com/openova-io/openova/internal/testenv"
	"github.com/openova-io/openova/internal/wizard/oidctest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// The default run against kube-apiserver: Blueprints are published and the
// dashboard answers on --ui-addr (read-only: no Gitea), with the portal
// hook mounted at /portal/.
func TestRunServesDashboard(t *testing.T) {
	env, stop, err := testenv.StartSecond()
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	ui := freeAddr(t)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, env.Config, manager.Options{MetricsAddr: "0", HealthAddr: "0", UIAddr: ui, AdminToken: "t0ken",
			PublishBlueprints: true, Portal: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "portal") })})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	want := map[string]string{
		"/api/v1/components": `"instances"`,
		"/portal/":           "portal",
	}
	deadline := time.Now().Add(60 * time.Second)
	for path, body := range want {
		for {
			req, _ := http.NewRequest(http.MethodGet, "http://"+ui+path, nil)
			req.Header.Set("Authorization", "Bearer t0ken")
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 && strings.Contains(string(b), body) {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %v", path, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	// Blueprints were published by the leader (here: the only replica).
	for {
		list, err := env.Dynamic.Resource(blueprints).List(ctx, listAll)
		if err == nil && len(list.Items) >= 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Blueprints not published: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

var (
	blueprints = schema.GroupVersionResource{Group: "platform.openova.io", Version: "v1alpha1", Resource: "blueprints"}
	listAll    = metav1.ListOptions{}
)

// With an issuer the dashboard signs admins in with OIDC (discovery against
// a real in-process provider); a bad session key names its flag.
func TestAuthorizer(t *testing.T) {
	ctx := context.Background()
	op, err := oidctest.Start("catalyst", "s", "https://catalyst.acme.example.com/login/callback", oidctest.User{Subject: "u"})
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	o := manager.Options{AdminToken: "t", OIDC: manager.OIDC{Issuer: op.Issuer, ClientID: "catalyst", ClientSecret: "s",
		AdminGroup: "platform-admins", ExternalURL: "https://catalyst.acme.example.com", SessionKey: "c2hvcnQ="}}
	if _, err := authorizer(ctx, o); err == nil || !strings.Contains(err.Error(), "--session-key-file") {
		t.Errorf("short session key: %v", err)
	}
	o.OIDC.SessionKey = base64.StdEncoding.EncodeToString(make([]byte, 32))
	a, err := authorizer(ctx, o)
	if err != nil {
		t.Fatal(err)
	}
	if sso, ok := a.(*web.OIDCAuth); !ok || !sso.Secure || sso.AdminGroup != "platform-admins" {
		t.Errorf("authorizer %T %+v", a, a)
	}
	if err := o.Validate(); err != nil {
		t.Errorf("complete OIDC options refused: %v", err)
	}
	o.OIDC.ExternalURL = ""
	if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "--external-url") {
		t.Errorf("missing external URL: %v", err)
	}
	if a, _ := authorizer(ctx, manager.Options{AdminToken: "t"}); a != (web.TokenAuth{Token: "t"}) {
		t.Errorf("without an issuer: %T", a)
	}
}
