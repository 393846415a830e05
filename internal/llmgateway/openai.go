package llmgateway

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/openova-io/openova/internal/llmgateway/config"
	"github.com/openova-io/openova/internal/llmgateway/quota"
	"github.com/openova-io/openova/internal/llmgateway/route"
)

const maxBody = 32 << 20

// peek is the part of an OpenAI request the gateway decides on.
type peek struct {
	Model         string `json:"model"`
	Stream        bool   `json:"stream"`
	MaxTokens     *int64 `json:"max_tokens"`
	MaxCompletion *int64 `json:"max_completion_tokens"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

type usageBody struct {
	Usage *struct {
		PromptTokens     int64 `json:"prompt_tokens"`
		CompletionTokens int64 `json:"completion_tokens"`
	} `json:"usage"`
}

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "bad_body", "reading the request body: "+err.Error())
	}
	if len(b) > maxBody {
		return nil, errorf(http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("request body exceeds %d bytes", maxBody))
	}
	return b, nil
}

// exchange is the per-request state shared by the OpenAI and Anthropic paths.
type exchange struct {
	call  Call
	model *config.Model
	grant *Grant
}

// admit resolves the model and reserves tokens and budget for the call.
func (s *Server) admit(ctx context.Context, r *http.Request, x *exchange, name string, promptBytes int, maxTokens *int64) error {
	m, ok := s.cfg.Model(name)
	if !ok {
		s.d.Metrics.Rejected.WithLabelValues("unknown_model").Inc()
		return errorf(http.StatusNotFound, "model_not_found", fmt.Sprintf("model %q is not served here; GET /v1/models lists the models", name))
	}
	x.model = m
	x.call.Model = name
	if s.d.Tenancy == nil {
		return nil
	}
	est := quota.Estimate(promptBytes, s.cfg.Limits.PromptBytesPerToken, maxTokens, int64(s.cfg.Limits.DefaultMaxTokens))
	cost := quota.Cost(m.Price.InputPerMTok, m.Price.OutputPerMTok, est.Prompt, est.Completion)
	g, err := s.d.Tenancy.Admit(ctx, clientKey(r), name, est.Total(), cost)
	if err != nil {
		if e, ok := err.(*Error); ok {
			s.d.Metrics.Rejected.WithLabelValues(e.Code).Inc()
		}
		return err
	}
	x.grant = g
	x.call.KeyID, x.call.Team = g.KeyID, g.Team
	return nil
}

// settle reconciles the reservation with the reported usage and reports
// the call to metrics and observers.
func (s *Server) settle(ctx context.Context, x *exchange) {
	c := &x.call
	c.Duration = s.d.Now().Sub(c.Start)
	if x.model != nil {
		c.CostMicroUSD = quota.Cost(x.model.Price.InputPerMTok, x.model.Price.OutputPerMTok, c.PromptTokens, c.CompletionTokens)
	}
	if x.grant != nil {
		// A detached context: the reconcile must happen even when the client
		// has gone, or the reservation would be held until the window ends.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		s.d.Tenancy.Settle(sctx, x.grant, c.PromptTokens+c.CompletionTokens, c.CostMicroUSD)
		cancel()
	}
	s.d.Metrics.Requests.WithLabelValues(c.Model, c.API, strconv.Itoa(c.Status)).Inc()
	s.d.Metrics.Duration.WithLabelValues(c.Model, c.API).Observe(c.Duration.Seconds())
	if c.PromptTokens+c.CompletionTokens > 0 {
		s.d.Metrics.Tokens.WithLabelValues(c.Model, "prompt").Add(float64(c.PromptTokens))
		s.d.Metrics.Tokens.WithLabelValues(c.Model, "completion").Add(float64(c.CompletionTokens))
	}
	s.observe(*c)
}

func (s *Server) newExchange(r *http.Request, api string) *exchange {
	x := &exchange{call: Call{API: api, Start: s.d.Now()}}
	if s.d.NewID != nil {
		x.call.ID = s.d.NewID()
	} else {
		x.call.ID = newID()
	}
	return x
}

func (s *Server) openAI(path string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, span := s.d.Tracer.Start(r.Context(), "POST "+path)
		defer span.End()
		x := s.newExchange(r, "openai")
		err := s.serveOpenAI(ctx, w, r, x, path)
		if err != nil {
			if e, ok := err.(*Error); ok {
				x.call.Status = e.Status
			} else {
				x.call.Status = http.StatusInternalServerError
			}
			writeError(w, err, false)
		}
		span.SetAttributes(attribute.String("llm.model", x.call.Model), attribute.Int("http.status_code", x.call.Status),
			attribute.Int64("llm.usage.prompt_tokens", x.call.PromptTokens), attribute.Int64("llm.usage.completion_tokens", x.call.CompletionTokens))
		s.settle(ctx, x)
	}
}

func (s *Server) serveOpenAI(ctx context.Context, w http.ResponseWriter, r *http.Request, x *exchange, path string) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	var p peek
	if err := json.Unmarshal(body, &p); err != nil {
		return errorf(http.StatusBadRequest, "invalid_json", "request body is not JSON: "+err.Error())
	}
	if p.Model == "" {
		return errorf(http.StatusBadRequest, "missing_model", "model: required")
	}
	maxTok := p.MaxCompletion
	if maxTok == nil {
		maxTok = p.MaxTokens
	}
	if path == "/v1/embeddings" {
		zero := int64(0)
		maxTok = &zero
	}
	x.call.Stream = p.Stream
	if err := s.admit(ctx, r, x, p.Model, len(body), maxTok); err != nil {
		return err
	}
	if s.d.Guard != nil && path == "/v1/chat/completions" {
		x.call.Input = chatMessages(body)
		if err := s.d.Guard.CheckInput(ctx, x.call.Input); err != nil {
			return err
		}
	}
	// Streams need the final usage chunk to settle the reservation; ask for
	// it and hide it again from clients that did not.
	injectUsage := p.Stream && path == "/v1/chat/completions" && (p.StreamOptions == nil || !p.StreamOptions.IncludeUsage)
	ans, err := s.call(ctx, r, x.model, func(a route.Attempt) (outbound, error) {
		if a.Deployment.API != config.APIOpenAI {
			return outbound{}, errorf(http.StatusBadRequest, "wrong_api", fmt.Sprintf("model %s is served by an Anthropic-native backend; call POST /v1/messages", p.Model))
		}
		b, err := rewrite(body, a.Deployment.Model, p.Model, injectUsage)
		return outbound{path: path, body: b, header: http.Header{"Content-Type": {"application/json"}, "Accept": r.Header.Values("Accept")}}, err
	})
	if err != nil {
		return err
	}
	defer ans.close()
	x.call.Deployment = ans.attempt.Deployment.URL
	x.call.Status = ans.resp.StatusCode
	copyHeader(w.Header(), ans.resp.Header)
	if p.Stream && ans.resp.StatusCode == http.StatusOK {
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Accel-Buffering", "no")
		w.WriteHeader(http.StatusOK)
		_ = relaySSE(w, ans.resp.Body, func(_ string, data []byte) bool {
			if !bytes.Contains(data, []byte(`"usage"`)) {
				return true
			}
			var u usageBody
			if json.Unmarshal(data, &u) == nil && u.Usage != nil {
				x.call.PromptTokens, x.call.CompletionTokens = u.Usage.PromptTokens, u.Usage.CompletionTokens
				if injectUsage && bytes.Contains(data, []byte(`"choices":[]`)) {
					return false
				}
			}
			return true
		})
		return nil
	}
	out, err := io.ReadAll(ans.resp.Body)
	if err != nil {
		return errorf(http.StatusBadGateway, "upstream_read", "reading the upstream answer: "+err.Error())
	}
	var u usageBody
	if json.Unmarshal(out, &u) == nil && u.Usage != nil {
		x.call.PromptTokens, x.call.CompletionTokens = u.Usage.PromptTokens, u.Usage.CompletionTokens
	}
	if s.d.Guard != nil && path == "/v1/chat/completions" && ans.resp.StatusCode == http.StatusOK {
		x.call.Output = chatOutput(out)
		if err := s.d.Guard.CheckOutput(ctx, x.call.Input, x.call.Output); err != nil {
			return err
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.WriteHeader(ans.resp.StatusCode)
	_, _ = w.Write(out)
	flush(w) // the client has its answer before the reservation is settled
	return nil
}

func flush(w http.ResponseWriter) {
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
}

// rewrite sets the upstream's model name and asks for stream usage, only
// re-encoding the body when something changes.
func rewrite(body []byte, upstreamModel, publicModel string, injectUsage bool) ([]byte, error) {
	if (upstreamModel == "" || upstreamModel == publicModel) && !injectUsage {
		return body, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return nil, errorf(http.StatusBadRequest, "invalid_json", err.Error())
	}
	if upstreamModel != "" {
		m["model"], _ = json.Marshal(upstreamModel)
	}
	if injectUsage {
		m["stream_options"] = json.RawMessage(`{"include_usage":true}`)
	}
	return json.Marshal(m)
}

var hopHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Transfer-Encoding": true, "Content-Length": true, "Upgrade": true, "Proxy-Connection": true, "Te": true, "Trailer": true}

func copyHeader(dst, src http.Header) {
	for k, vs := range src {
		if !hopHeaders[k] {
			dst[k] = vs
		}
	}
}

func chatMessages(body []byte) []GuardMessage {
	var v struct {
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	_ = json.Unmarshal(body, &v)
	out := make([]GuardMessage, 0, len(v.Messages))
	for _, m := range v.Messages {
		var s string
		if json.Unmarshal(m.Content, &s) != nil {
			var parts []struct {
				Type, Text string
			}
			_ = json.Unmarshal(m.Content, &parts)
			for _, p := range parts {
				if p.Type == "text" {
					s += p.Text
				}
			}
		}
		out = append(out, GuardMessage{Role: m.Role, Content: s})
	}
	return out
}

func chatOutput(body []byte) string {
	var v struct {
		Choices []struct {
			Message struct {
				Content string `json:"content"`
			} `json:"message"`
		} `json:"choices"`
	}
	_ = json.Unmarshal(body, &v)
	if len(v.Choices) == 0 {
		return ""
	}
	return v.Choices[0].Message.Content
}

func (s *Server) models(w http.ResponseWriter, _ *http.Request) {
	data := make([]map[string]any, 0, len(s.cfg.Models))
	for _, m := range s.cfg.Models {
		if m.Name != "*" {
			data = append(data, map[string]any{"id": m.Name, "object": "model", "created": 0, "owned_by": "openova"})
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"object": "list", "data": data})
}
