package serve_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	anth "github.com/anthropics/anthropic-sdk-go/v2"
	anthopt "github.com/anthropics/anthropic-sdk-go/v2/option"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/openova-io/openova/internal/llmgateway/config"
	"github.com/openova-io/openova/internal/llmgateway/serve"
	"github.com/openova-io/openova/internal/llmgateway/testupstream"
	"github.com/openova-io/openova/internal/valkeytest"
)

func freeAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitUp(t *testing.T, url string) {
	for i := 0; i < 200; i++ {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never came up", url)
}

// TestAdapterThroughGatewayEndToEnd: Anthropic SDK → anthropic-adapter mode
// → gateway mode (limits on, real redis-server) → vLLM-like upstream, both
// modes run by serve.Run as the binary does.
func TestAdapterThroughGatewayEndToEnd(t *testing.T) {
	spans := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))
	rdb := valkeytest.Start(t)
	up := testupstream.New("u")
	defer up.Close()
	gwAddr, gwAdmin, adAddr, adAdmin := freeAddr(t), freeAddr(t), freeAddr(t), freeAddr(t)
	gc, err := config.Parse([]byte(fmt.Sprintf(`
listen: %q
adminListen: %q
adminTokenEnv: ADMIN
limits: {enabled: true}
valkey: {addr: %q}
models:
- name: llama
  deployments: [{url: %q}]
`, gwAddr, gwAdmin, rdb.Options().Addr, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	ac, err := serve.AdapterConfig("http://" + gwAddr + "/v1")
	if err != nil {
		t.Fatal(err)
	}
	ac.Listen, ac.AdminListen = adAddr, adAdmin
	env := func(k string) string { return map[string]string{"ADMIN": "adm"}[k] }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	log := slog.New(slog.DiscardHandler)
	go func() { done <- serve.Run(ctx, gc, env, log) }()
	go func() { done <- serve.Run(ctx, ac, env, log) }()
	defer func() {
		cancel()
		for i := 0; i < 2; i++ {
			if err := <-done; err != nil {
				t.Error(err)
			}
		}
	}()
	waitUp(t, "http://"+gwAdmin+"/healthz")
	waitUp(t, "http://"+adAdmin+"/healthz")

	req, _ := http.NewRequest("POST", "http://"+gwAdmin+"/admin/v1/keys", strings.NewReader(`{"team":"t","models":["llama"]}`))
	req.Header.Set("Authorization", "Bearer adm")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var created struct{ Key string }
	_ = json.NewDecoder(resp.Body).Decode(&created)
	resp.Body.Close()

	c := anth.NewClient(anthopt.WithBaseURL("http://"+adAddr+"/"), anthopt.WithAPIKey(created.Key), anthopt.WithMaxRetries(0))
	msg, err := c.Messages.New(ctx, anth.MessageNewParams{Model: "llama", MaxTokens: 20,
		Messages: []anth.MessageParam{anth.NewUserMessage(anth.NewTextBlock("through two hops"))}})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Content[0].Text != "You said: through two hops" {
		t.Fatalf("%+v", msg)
	}
	bad := anth.NewClient(anthopt.WithBaseURL("http://"+adAddr+"/"), anthopt.WithAPIKey("sk-oo-wrong"), anthopt.WithMaxRetries(0))
	if _, err := bad.Messages.New(ctx, anth.MessageNewParams{Model: "llama", MaxTokens: 20,
		Messages: []anth.MessageParam{anth.NewUserMessage(anth.NewTextBlock("x"))}}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("the gateway must judge the forwarded key: %v", err)
	}

	h, _ := up.Last()
	if !strings.HasPrefix(h.Get("Traceparent"), "00-") || h.Get("Authorization") != "" {
		t.Fatalf("upstream headers: traceparent %q, authorization leaked %q", h.Get("Traceparent"), h.Get("Authorization"))
	}
	names := map[string]bool{}
	for i := 0; i < 200 && !names["POST /v1/chat/completions"]; i++ {
		time.Sleep(5 * time.Millisecond) // spans end just after the answer
		for _, s := range spans.Ended() {
			names[s.Name()] = true
		}
	}
	if !names["POST /v1/messages"] || !names["POST /v1/chat/completions"] || !names["upstream /v1/chat/completions"] {
		t.Fatalf("spans %v", names)
	}
	// Metrics are counted just after the answer; poll briefly.
	want := `llmgateway_requests_total{api="openai",model="llama",status="200"} 1`
	var b []byte
	for i := 0; i < 200 && !strings.Contains(string(b), want); i++ {
		resp, err = http.Get("http://" + gwAdmin + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		time.Sleep(5 * time.Millisecond)
	}
	if !strings.Contains(string(b), want) {
		t.Fatalf("metrics lack the request:\n%s", b)
	}
}
