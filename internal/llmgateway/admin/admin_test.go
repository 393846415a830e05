package admin_test

import (
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/llmgateway"
	"github.com/openova-io/openova/internal/llmgateway/admin"
	"github.com/openova-io/openova/internal/llmgateway/config"
	"github.com/openova-io/openova/internal/llmgateway/testupstream"
	"github.com/openova-io/openova/internal/llmgateway/valkey"
	"github.com/openova-io/openova/internal/valkeytest"
)

func do(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var v map[string]any
	_ = json.Unmarshal(b, &v)
	return resp.StatusCode, v
}

func TestKeyLifecycleThroughTheGateway(t *testing.T) {
	rdb := valkeytest.Start(t)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	adm := httptest.NewServer((&admin.API{RDB: rdb, Token: "admin-secret", Now: clock, Rand: rand.Reader}).Handler())
	defer adm.Close()
	up := testupstream.New("u")
	defer up.Close()
	c, _ := config.Parse([]byte("limits: {enabled: true}\nvalkey: {addr: x}\nmodels:\n- name: m\n  deployments: [{url: \"" + up.URL + "\"}]\n"))
	// A zero cache TTL so the revocation below is seen at once.
	gw := httptest.NewServer(llmgateway.New(c, llmgateway.Deps{Tenancy: valkey.New(rdb, clock, 0), Log: slog.New(slog.DiscardHandler), Now: clock}).Handler())
	defer gw.Close()

	if code, _ := do(t, "GET", adm.URL+"/admin/v1/keys", "wrong", ""); code != 401 {
		t.Fatalf("wrong admin token: %d", code)
	}
	if code, v := do(t, "POST", adm.URL+"/admin/v1/keys", "admin-secret", `{"models":["m"]}`); code != 400 || !strings.Contains(v["error"].(map[string]any)["message"].(string), "team") {
		t.Fatalf("missing team: %d %v", code, v)
	}
	if code, _ := do(t, "POST", adm.URL+"/admin/v1/keys", "admin-secret", `{"team":"x","limitz":{}}`); code != 400 {
		t.Fatalf("unknown field accepted: %d", code)
	}
	code, v := do(t, "POST", adm.URL+"/admin/v1/keys", "admin-secret", `{"team":"risk","models":["m"],"limits":{"rpm":100}}`)
	if code != 201 {
		t.Fatalf("%d %v", code, v)
	}
	key := v["key"].(string)
	id := v["record"].(map[string]any)["id"].(string)
	if !strings.HasPrefix(key, "sk-oo-") {
		t.Fatalf("key %q", key)
	}

	call := func() int {
		req, _ := http.NewRequest("POST", gw.URL+"/v1/chat/completions", strings.NewReader(`{"model":"m","max_tokens":3,"messages":[{"role":"user","content":"a b"}]}`))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := call(); code != 200 {
		t.Fatalf("new key refused: %d", code)
	}
	// The gateway settles just after answering.
	var u map[string]any
	for i := 0; i < 500; i++ {
		code, v = do(t, "GET", adm.URL+"/admin/v1/keys/"+id+"/usage", "admin-secret", "")
		if u = v["usage"].(map[string]any); u["requests"].(float64) == 1 {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if code != 200 || u["requests"].(float64) != 1 || u["tokens"].(float64) != 3+3 || u["month"] != "2026-11" {
		t.Fatalf("usage %d %v", code, v)
	}
	code, v = do(t, "GET", adm.URL+"/admin/v1/keys", "admin-secret", "")
	if code != 200 || len(v["keys"].([]any)) != 1 || strings.Contains(toJSON(v), key) {
		t.Fatalf("list %d %v (must not show the key)", code, v)
	}
	if code, _ := do(t, "PATCH", adm.URL+"/admin/v1/keys/"+id, "admin-secret", `{"disabled":true}`); code != 200 {
		t.Fatal(code)
	}
	if code := call(); code != 401 {
		t.Fatalf("disabled key accepted: %d", code)
	}
	if code, _ := do(t, "DELETE", adm.URL+"/admin/v1/keys/"+id, "admin-secret", ""); code != 204 {
		t.Fatal(code)
	}
	if code, _ := do(t, "GET", adm.URL+"/admin/v1/keys/"+id, "admin-secret", ""); code != 404 {
		t.Fatal(code)
	}
}

func toJSON(v any) string { b, _ := json.Marshal(v); return string(b) }
