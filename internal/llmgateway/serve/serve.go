// Package serve wires a validated config into a running gateway: Valkey
// tenancy, hooks, tracing, the public and admin listeners, and a graceful
// shutdown that flushes the hook queues. cmd/llm-gateway only parses flags.
package serve

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/openova-io/openova/internal/llmgateway"
	"github.com/openova-io/openova/internal/llmgateway/admin"
	"github.com/openova-io/openova/internal/llmgateway/config"
	"github.com/openova-io/openova/internal/llmgateway/hooks"
	"github.com/openova-io/openova/internal/llmgateway/valkey"
)

// AdapterConfig is the anthropic-adapter's config when it has no file:
// every model goes to one OpenAI-compatible upstream (the llm-gateway) with
// the client's own key, so the gateway enforces that key's limits.
func AdapterConfig(upstreamURL string) (*config.Config, error) {
	u := strings.TrimSuffix(strings.TrimRight(upstreamURL, "/"), "/v1")
	c := &config.Config{Mode: config.ModeAnthropicAdapter, Models: []config.Model{{
		Name: "*", Deployments: []config.Deployment{{URL: u, ForwardAuth: true}},
	}}}
	c.Default()
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("UPSTREAM_URL: %w", err)
	}
	return c, nil
}

// Run serves until ctx ends.
func Run(ctx context.Context, c *config.Config, getenv func(string) string, log *slog.Logger) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d := llmgateway.Deps{Metrics: llmgateway.NewMetrics(reg), Log: log, Getenv: getenv}
	hookClient := &http.Client{Timeout: 10 * time.Second}

	shutdownTracing, err := tracing(ctx, c)
	if err != nil {
		return err
	}
	defer shutdownTracing()

	var rdb *redis.Client
	if c.Valkey != nil && c.Valkey.Addr != "" {
		opts := &redis.Options{Addr: c.Valkey.Addr, DB: c.Valkey.DB, PoolSize: 256}
		if c.Valkey.PasswordEnv != "" {
			opts.Password = getenv(c.Valkey.PasswordEnv)
		}
		rdb = redis.NewClient(opts)
		defer rdb.Close()
	}
	if c.Limits.Enabled && c.Mode == config.ModeGateway {
		d.Tenancy = valkey.New(rdb, time.Now, c.Limits.KeyCacheTTL.Duration)
	}
	if g := c.Guardrails; g != nil {
		d.Guard = &hooks.Guardrails{URL: strings.TrimRight(g.URL, "/"), ConfigID: g.Config, FailOpen: g.FailOpen, Timeout: g.Timeout.Duration, Client: hookClient, Log: log}
	}
	hctx, stopHooks := context.WithCancel(context.WithoutCancel(ctx))
	var waits []<-chan struct{}
	q := c.Hooks
	if lf := c.Langfuse; lf != nil {
		h := hooks.NewLangFuse(strings.TrimRight(lf.URL, "/"), getenv(lf.PublicKeyEnv), getenv(lf.SecretKeyEnv), hookClient, q.QueueSize, q.BatchSize, q.FlushInterval.Duration)
		reg.MustRegister(h.Collectors()...)
		go h.Run(hctx)
		waits = append(waits, h.Done())
		d.Observers = append(d.Observers, h)
	}
	if om := c.OpenMeter; om != nil {
		h := hooks.NewOpenMeter(strings.TrimRight(om.URL, "/"), getenv(om.SecretKeyEnv), hookClient, q.QueueSize, q.BatchSize, q.FlushInterval.Duration)
		reg.MustRegister(h.Collectors()...)
		go h.Run(hctx)
		waits = append(waits, h.Done())
		d.Observers = append(d.Observers, h)
	}

	pub := &http.Server{Addr: c.Listen, Handler: llmgateway.New(c, d).Handler(), ReadHeaderTimeout: 10 * time.Second}
	amux := http.NewServeMux()
	amux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	amux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	if rdb != nil && c.Mode == config.ModeGateway {
		api := &admin.API{RDB: rdb, Now: time.Now, Rand: rand.Reader}
		if c.AdminTokenEnv != "" {
			api.Token = getenv(c.AdminTokenEnv)
		}
		amux.Handle("/admin/", api.Handler())
	}
	adm := &http.Server{Addr: c.AdminListen, Handler: amux, ReadHeaderTimeout: 10 * time.Second}

	errs := make(chan error, 2)
	for _, s := range []*http.Server{pub, adm} {
		go func() {
			log.Info("listening", "addr", s.Addr, "mode", c.Mode)
			if err := s.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
				errs <- err
			}
		}()
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errs:
	}
	// Streams in flight get the grace period the pod's terminationGracePeriod allows.
	sctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	_ = pub.Shutdown(sctx)
	_ = adm.Shutdown(sctx)
	stopHooks()
	for _, w := range waits {
		<-w
	}
	return runErr
}

// tracing installs an OTLP/HTTP exporter when configured, and the W3C
// propagator so upstream calls carry the trace.
func tracing(ctx context.Context, c *config.Config) (func(), error) {
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	if c.Tracing == nil || c.Tracing.Endpoint == "" {
		return func() {}, nil
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(strings.TrimRight(c.Tracing.Endpoint, "/")+"/v1/traces"))
	if err != nil {
		return nil, fmt.Errorf("tracing.endpoint: %w", err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp))
	otel.SetTracerProvider(tp)
	return func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = tp.Shutdown(sctx)
	}, nil
}
