package llmgateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"

	"github.com/openova-io/openova/internal/llmgateway/config"
	"github.com/openova-io/openova/internal/llmgateway/route"
)

// outbound is one prepared upstream request.
type outbound struct {
	path   string
	body   []byte
	header http.Header
}

// prepareFunc builds the upstream request for an attempt.
type prepareFunc func(a route.Attempt) (outbound, error)

// answer is the upstream response that will be relayed, with its cancel.
type answer struct {
	resp    *http.Response
	attempt route.Attempt
	cancel  context.CancelFunc
}

func (a *answer) close() {
	_ = a.resp.Body.Close()
	a.cancel()
}

// call tries the planned attempts in order until one answers with a status
// that is not retryable. Nothing has been sent to the client yet, so a retry
// is always safe. The last retryable answer is returned when all fail, so
// a 429 reaches the client with the upstream's Retry-After.
func (s *Server) call(ctx context.Context, r *http.Request, m *config.Model, prepare prepareFunc) (*answer, error) {
	plan := route.Plan(s.cfg, m, *s.cfg.Retries, s.rand)
	var last *answer
	var lastErr error
	for i, a := range plan {
		if ctx.Err() != nil {
			break // the client went away
		}
		out, err := prepare(a)
		if err != nil {
			return nil, err
		}
		timeout := s.cfg.RequestTimeout.Duration
		if a.Model.Timeout.Duration > 0 {
			timeout = a.Model.Timeout.Duration
		}
		actx, cancel := context.WithTimeout(ctx, timeout)
		actx, span := s.d.Tracer.Start(actx, "upstream "+out.path)
		span.SetAttributes(attribute.String("llm.deployment", a.Deployment.URL), attribute.Int("llm.attempt", i))
		req, err := http.NewRequestWithContext(actx, http.MethodPost, a.Deployment.URL+out.path, bytes.NewReader(out.body))
		if err != nil {
			span.End()
			cancel()
			return nil, err
		}
		req.Header = out.header
		otel.GetTextMapPropagator().Inject(actx, propagation.HeaderCarrier(req.Header))
		s.authorize(req, r, a.Deployment)
		resp, err := s.client.Do(req)
		span.End() // the span covers time to headers; the body is streamed later
		if last != nil {
			last.close()
			last = nil
		}
		if err != nil {
			cancel()
			lastErr = err
			span.SetStatus(codes.Error, err.Error())
			s.d.Metrics.Attempts.WithLabelValues(a.Model.Name, a.Deployment.URL, "error").Inc()
			s.d.Log.WarnContext(ctx, "upstream failed", "model", a.Model.Name, "deployment", a.Deployment.URL, "err", err)
			continue
		}
		ans := &answer{resp: resp, attempt: a, cancel: cancel}
		if route.Retryable(resp.StatusCode) {
			s.d.Metrics.Attempts.WithLabelValues(a.Model.Name, a.Deployment.URL, "retryable").Inc()
			s.d.Log.WarnContext(ctx, "upstream retryable status", "model", a.Model.Name, "deployment", a.Deployment.URL, "status", resp.StatusCode)
			// Keep the body of the final failure for the client.
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
			_ = resp.Body.Close()
			resp.Body = io.NopCloser(bytes.NewReader(b))
			last = ans
			continue
		}
		s.d.Metrics.Attempts.WithLabelValues(a.Model.Name, a.Deployment.URL, "ok").Inc()
		return ans, nil
	}
	if last != nil {
		return last, nil
	}
	if ctx.Err() != nil {
		return nil, errorf(499, "client_closed", "client closed the request")
	}
	if errors.Is(lastErr, context.DeadlineExceeded) {
		return nil, errorf(http.StatusGatewayTimeout, "upstream_timeout", fmt.Sprintf("model %s: every upstream timed out", m.Name))
	}
	return nil, errorf(http.StatusBadGateway, "upstream_unavailable", fmt.Sprintf("model %s: no upstream answered", m.Name))
}

// authorize sets the upstream credential: the deployment's own key, the
// client's (forwardAuth), or none. The client's key is otherwise never
// forwarded: it is a gateway key, not an upstream one.
func (s *Server) authorize(out *http.Request, in *http.Request, d *config.Deployment) {
	key := ""
	switch {
	case d.ForwardAuth:
		key = clientKey(in)
	case d.APIKeyEnv != "":
		key = s.d.Getenv(d.APIKeyEnv)
	}
	if key == "" {
		return
	}
	if d.API == config.APIAnthropic {
		out.Header.Set("x-api-key", key)
	} else {
		out.Header.Set("Authorization", "Bearer "+key)
	}
}

func (s *Server) rand() float64 {
	if s.d.Rand != nil {
		return s.d.Rand()
	}
	return defaultRand()
}
