// Package llmgateway is OpenOva's LLM gateway: an OpenAI-compatible and
// Anthropic Messages front door that routes by model to vLLM, KServe or
// another gateway, with retries, fallbacks, tenancy and limits, guardrails,
// tracing and metering. Domain interfaces live here; adapters (Valkey,
// NeMo Guardrails, LangFuse, OpenMeter) live in sub-packages.
package llmgateway

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/trace"

	"github.com/openova-io/openova/internal/llmgateway/config"
)

// Grant is an admitted request's reservation, settled after the call.
type Grant struct {
	KeyID, Team string
	// Reserved are the tokens and micro-USD held for this call.
	ReservedTokens, ReservedCost int64
	// Opaque is the adapter's handle (e.g. the windows reserved in).
	Opaque any
}

// Tenancy authorizes virtual keys and holds limits. Admit returns an *Error
// (401, 403 or 429 with RetryAfter) when the call may not go ahead.
type Tenancy interface {
	Admit(ctx context.Context, apiKey, model string, tokens, cost int64) (*Grant, error)
	Settle(ctx context.Context, g *Grant, tokens, cost int64)
}

// Guard checks prompts and completions (NeMo Guardrails). A non-nil error
// that is an *Error blocks the call; others are guard outages, which the
// guard itself resolves as fail-open or fail-closed.
type Guard interface {
	CheckInput(ctx context.Context, messages []GuardMessage) error
	CheckOutput(ctx context.Context, messages []GuardMessage, output string) error
}

// GuardMessage is a role and its text.
type GuardMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Call is what observers (LangFuse, OpenMeter) learn about each call.
type Call struct {
	ID, KeyID, Team, Model, Deployment, API string
	Stream                                  bool
	Start                                   time.Time
	Duration                                time.Duration
	Status                                  int
	PromptTokens, CompletionTokens          int64
	CostMicroUSD                            int64
	Input                                   []GuardMessage
	Output                                  string
}

// Observer receives every finished call; it must not block.
type Observer interface{ Observe(Call) }

// Deps are the gateway's collaborators; nil ones are off.
type Deps struct {
	Tenancy   Tenancy
	Guard     Guard
	Observers []Observer
	Metrics   *Metrics
	Log       *slog.Logger
	Now       func() time.Time
	Rand      func() float64
	NewID     func() string
	Tracer    trace.Tracer
	// Getenv resolves apiKeyEnv; defaults to os.Getenv.
	Getenv func(string) string
}

// Server serves the gateway's APIs.
type Server struct {
	cfg    *config.Config
	d      Deps
	client *http.Client
}

// New builds a Server; cfg must be validated.
func New(cfg *config.Config, d Deps) *Server {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Metrics == nil {
		d.Metrics = NewMetrics(nil)
	}
	if d.Tracer == nil {
		d.Tracer = otel.Tracer("github.com/openova-io/openova/internal/llmgateway")
	}
	if d.Getenv == nil {
		d.Getenv = os.Getenv
	}
	tr := &http.Transport{
		Proxy:               nil, // upstreams are in-cluster; never route through an environment proxy
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        1024,
		MaxIdleConnsPerHost: 512,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   false,
	}
	return &Server{cfg: cfg, d: d, client: &http.Client{Transport: tr}}
}

// Handler is the public API.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	if s.cfg.Mode == config.ModeGateway {
		mux.HandleFunc("POST /v1/chat/completions", s.openAI("/v1/chat/completions"))
		mux.HandleFunc("POST /v1/completions", s.openAI("/v1/completions"))
		mux.HandleFunc("POST /v1/embeddings", s.openAI("/v1/embeddings"))
		mux.HandleFunc("GET /v1/models", s.models)
	}
	mux.HandleFunc("POST /v1/messages", s.messages)
	mux.HandleFunc("POST /v1/messages/count_tokens", s.countTokens)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	return mux
}

// clientKey is the caller's credential from Authorization or x-api-key.
func clientKey(r *http.Request) string {
	if k := r.Header.Get("x-api-key"); k != "" {
		return k
	}
	if a := r.Header.Get("Authorization"); len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
		return strings.TrimSpace(a[7:])
	}
	return ""
}

func (s *Server) observe(c Call) {
	for _, o := range s.d.Observers {
		o.Observe(c)
	}
}
