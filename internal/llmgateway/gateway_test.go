package llmgateway_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/llmgateway"
	"github.com/openova-io/openova/internal/llmgateway/config"
	"github.com/openova-io/openova/internal/llmgateway/testupstream"
)

// recorder is an Observer that keeps every call. The gateway answers the
// client before it settles and reports a call, so last waits until every
// request the gateway started has been reported.
type recorder struct {
	mu      sync.Mutex
	calls   []llmgateway.Call
	started atomic.Int64
}

func (r *recorder) Observe(c llmgateway.Call) {
	r.mu.Lock()
	r.calls = append(r.calls, c)
	r.mu.Unlock()
}

func (r *recorder) last(t *testing.T) llmgateway.Call {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	r.mu.Lock()
	defer r.mu.Unlock()
	for int64(len(r.calls)) < r.started.Load() && time.Now().Before(deadline) {
		r.mu.Unlock()
		time.Sleep(time.Millisecond)
		r.mu.Lock()
	}
	if len(r.calls) == 0 {
		t.Fatal("no call observed")
	}
	return r.calls[len(r.calls)-1]
}

func gateway(t *testing.T, yaml string, d llmgateway.Deps) (*httptest.Server, *recorder) {
	t.Helper()
	c, err := config.Parse([]byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	d.Observers = append(d.Observers, rec)
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Rand == nil {
		d.Rand = func() float64 { return 0 } // first weighted deployment first
	}
	h := llmgateway.New(c, d).Handler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && !strings.HasSuffix(r.URL.Path, "count_tokens") {
			rec.started.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, rec
}

func post(t *testing.T, url, body string, h ...string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(h); i += 2 {
		req.Header.Set(h[i], h[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestRoutesByModelAndRewritesUpstreamName(t *testing.T) {
	a, b := testupstream.New("a"), testupstream.New("b")
	defer a.Close()
	defer b.Close()
	gw, rec := gateway(t, fmt.Sprintf(`
models:
- name: llama
  deployments: [{url: %q, model: meta-llama/Llama-3.1-8B}]
- name: qwen
  deployments: [{url: %q}]
`, a.URL, b.URL), llmgateway.Deps{})
	resp, body := post(t, gw.URL+"/v1/chat/completions", `{"model":"llama","messages":[{"role":"user","content":"hi there"}]}`)
	if resp.StatusCode != 200 || !strings.Contains(body, "You said: hi there") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	_, sent := a.Last()
	if !strings.Contains(string(sent), `"model":"meta-llama/Llama-3.1-8B"`) {
		t.Fatalf("upstream model name not set: %s", sent)
	}
	if c := rec.last(t); c.PromptTokens != 3 || c.CompletionTokens != 4 || c.Deployment != a.URL {
		t.Fatalf("usage not recorded: %+v", c)
	}
	resp, _ = post(t, gw.URL+"/v1/embeddings", `{"model":"qwen","input":"one two"}`)
	if resp.StatusCode != 200 || b.Requests.Load() != 1 {
		t.Fatalf("embeddings not routed to qwen: %d", resp.StatusCode)
	}
	resp, body = post(t, gw.URL+"/v1/completions", `{"model":"nope","prompt":"x"}`)
	if resp.StatusCode != 404 || !strings.Contains(body, `"code":"model_not_found"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}

func TestRetriesOtherDeploymentThenFallback(t *testing.T) {
	a, b, fb := testupstream.New("a"), testupstream.New("b"), testupstream.New("fb")
	defer a.Close()
	defer b.Close()
	defer fb.Close()
	a.FailFirst, a.FailStatus = 100, 503
	b.FailFirst, b.FailStatus = 100, 429
	gw, rec := gateway(t, fmt.Sprintf(`
retries: 1
models:
- name: big
  deployments: [{url: %q, weight: 5}, {url: %q, weight: 1}]
  fallbacks: [small]
- name: small
  deployments: [{url: %q}]
`, a.URL, b.URL, fb.URL), llmgateway.Deps{})
	resp, body := post(t, gw.URL+"/v1/chat/completions", `{"model":"big","messages":[{"role":"user","content":"x"}]}`)
	if resp.StatusCode != 200 || a.Requests.Load() != 1 || b.Requests.Load() != 1 || fb.Requests.Load() != 1 {
		t.Fatalf("%d %s; a=%d b=%d fb=%d", resp.StatusCode, body, a.Requests.Load(), b.Requests.Load(), fb.Requests.Load())
	}
	if rec.last(t).Deployment != fb.URL {
		t.Fatal("answer not from the fallback")
	}
	// All 429: the client sees the last 429, not a made-up 502.
	fb.FailFirst, fb.FailStatus = 1000, 429
	resp, _ = post(t, gw.URL+"/v1/chat/completions", `{"model":"big","messages":[{"role":"user","content":"x"}]}`)
	if resp.StatusCode != 429 {
		t.Fatalf("want 429 passed through, got %d", resp.StatusCode)
	}
}

func TestPerRequestTimeoutAndClientErrorNotRetried(t *testing.T) {
	slow := testupstream.New("slow")
	defer slow.Close()
	slow.Delay = 5 * time.Second
	gw, _ := gateway(t, fmt.Sprintf(`
retries: 1
models:
- name: m
  timeout: 50ms
  deployments: [{url: %q}]
`, slow.URL), llmgateway.Deps{})
	resp, body := post(t, gw.URL+"/v1/chat/completions", `{"model":"m","messages":[]}`)
	if resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(body, "upstream_timeout") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if n := slow.Requests.Load(); n != 2 {
		t.Fatalf("want 1+1 retries on timeout, got %d", n)
	}

	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"object":"error","message":"bad messages","code":400}`))
	}))
	defer bad.Close()
	var calls int
	counted := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { calls++; bad.Config.Handler.ServeHTTP(w, r) })
	cs := httptest.NewServer(counted)
	defer cs.Close()
	gw2, _ := gateway(t, fmt.Sprintf("models:\n- name: m\n  deployments: [{url: %q}]\n", cs.URL), llmgateway.Deps{})
	resp, _ = post(t, gw2.URL+"/v1/chat/completions", `{"model":"m","messages":[]}`)
	if resp.StatusCode != 400 || calls != 1 {
		t.Fatalf("400 must pass through unretried: %d after %d calls", resp.StatusCode, calls)
	}
}

// TestStreamIsNotBuffered holds the upstream after its first event: the
// client must already have it.
func TestStreamIsNotBuffered(t *testing.T) {
	release := make(chan struct{})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"first\"}}]}\n\n")
		w.(http.Flusher).Flush()
		<-release
		fmt.Fprint(w, "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1}}\n\ndata: [DONE]\n\n")
	}))
	defer up.Close()
	defer close(release)
	gw, _ := gateway(t, fmt.Sprintf("models:\n- name: m\n  deployments: [{url: %q}]\n", up.URL), llmgateway.Deps{})
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/v1/chat/completions", strings.NewReader(`{"model":"m","stream":true,"messages":[]}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || !strings.Contains(line, "first") {
		t.Fatalf("first event not relayed before the upstream finished: %q %v", line, err)
	}
}

func TestStreamUsageHiddenUnlessAskedAndCounted(t *testing.T) {
	up := testupstream.New("u")
	defer up.Close()
	gw, rec := gateway(t, fmt.Sprintf("models:\n- name: m\n  deployments: [{url: %q}]\n", up.URL), llmgateway.Deps{})
	resp, body := post(t, gw.URL+"/v1/chat/completions", `{"model":"m","stream":true,"messages":[{"role":"user","content":"a b c"}]}`)
	if resp.StatusCode != 200 || strings.Contains(body, `"usage"`) || !strings.HasSuffix(body, "data: [DONE]\n\n") {
		t.Fatalf("%d %q", resp.StatusCode, body)
	}
	if c := rec.last(t); c.PromptTokens != 4 || c.CompletionTokens != 5 {
		t.Fatalf("stream usage not captured: %+v", c)
	}
	_, body = post(t, gw.URL+"/v1/chat/completions", `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"a"}]}`)
	if !strings.Contains(body, `"usage"`) {
		t.Fatal("usage chunk removed though the client asked for it")
	}
}

func TestClientDisconnectCancelsUpstream(t *testing.T) {
	up := testupstream.New("u")
	defer up.Close()
	up.ChunkDelay = 100 * time.Millisecond
	gw, _ := gateway(t, fmt.Sprintf("models:\n- name: m\n  deployments: [{url: %q}]\n", up.URL), llmgateway.Deps{})
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, gw.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"m","stream":true,"messages":[{"role":"user","content":"`+strings.Repeat("w ", 200)+`"}]}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	cancel()
	resp.Body.Close()
	deadline := time.Now().Add(5 * time.Second)
	for up.Canceled.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("upstream stream still running after the client left")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestModelsLists(t *testing.T) {
	gw, _ := gateway(t, "models:\n- name: a\n  deployments: [{url: \"http://127.0.0.1:1\"}]\n- name: b\n  deployments: [{url: \"http://127.0.0.1:1\"}]\n", llmgateway.Deps{})
	resp, err := http.Get(gw.URL + "/v1/models")
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Data []struct{ ID string } }
	_ = json.NewDecoder(resp.Body).Decode(&v)
	if len(v.Data) != 2 || v.Data[0].ID != "a" || v.Data[1].ID != "b" {
		t.Fatalf("%+v", v)
	}
}

func TestCountTokensApproximationWithoutTokenizer(t *testing.T) {
	up := testupstream.New("u")
	defer up.Close()
	gw, _ := gateway(t, fmt.Sprintf("models:\n- name: m\n  deployments: [{url: %q}]\n", up.URL), llmgateway.Deps{})
	// 16 bytes of framing + 12 bytes of text = 28 bytes → 7 tokens.
	resp, body := post(t, gw.URL+"/v1/messages/count_tokens", `{"model":"m","messages":[{"role":"user","content":"twelve bytes"}]}`)
	if resp.StatusCode != 200 || strings.TrimSpace(body) != `{"input_tokens":7}` || up.Requests.Load() != 0 {
		t.Fatalf("%d %s (upstream asked %d times)", resp.StatusCode, body, up.Requests.Load())
	}
}

func TestMessagesUpstreamErrorsInAnthropicShape(t *testing.T) {
	up := testupstream.New("u")
	defer up.Close()
	up.FailFirst, up.FailStatus = 100, 429
	gw, _ := gateway(t, fmt.Sprintf("retries: 0\nmodels:\n- name: m\n  deployments: [{url: %q}]\n", up.URL), llmgateway.Deps{})
	resp, body := post(t, gw.URL+"/v1/messages", `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"x"}]}`)
	if resp.StatusCode != 429 || !strings.Contains(body, `"type":"error"`) || !strings.Contains(body, `"type":"rate_limit_error"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	resp, body = post(t, gw.URL+"/v1/messages", `{"model":"m","max_tokens":5,"messages":[{"role":"system","content":"x"}]}`)
	if resp.StatusCode != 400 || !strings.Contains(body, `"invalid_request_error"`) || !strings.Contains(body, "messages[0].role") {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
}
