package llmgateway

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/openova-io/openova/internal/llmgateway/anthropic"
	"github.com/openova-io/openova/internal/llmgateway/config"
)

// countTokens answers /v1/messages/count_tokens. Where a deployment of the
// model has vLLM's /tokenize, the backend's own tokenizer counts the
// translated chat (with its template); otherwise the answer is the
// documented approximation ApproxTokens. Anthropic-native backends are
// asked their own count_tokens.
func (s *Server) countTokens(w http.ResponseWriter, r *http.Request) {
	n, err := s.count(r.Context(), r)
	if err != nil {
		writeError(w, err, true)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]int{"input_tokens": n})
}

func (s *Server) count(ctx context.Context, r *http.Request) (int, error) {
	body, err := readBody(r)
	if err != nil {
		return 0, err
	}
	req, err := anthropic.ParseRequest(body)
	if err != nil {
		return 0, badRequest(err)
	}
	m, ok := s.cfg.Model(req.Model)
	if !ok {
		return 0, errorf(http.StatusNotFound, "model_not_found", "model "+req.Model+" is not served here")
	}
	if s.d.Tenancy != nil {
		// Counting is free but still needs a valid key for the model.
		g, err := s.d.Tenancy.Admit(ctx, clientKey(r), req.Model, 0, 0)
		if err != nil {
			return 0, err
		}
		s.d.Tenancy.Settle(ctx, g, 0, 0)
	}
	oa, err := anthropic.ToOpenAI(req, req.Model)
	if err != nil {
		return 0, badRequest(err)
	}
	for i := range m.Deployments {
		d := &m.Deployments[i]
		if d.Tokenize && d.API == config.APIOpenAI {
			oa.Model = d.Model
			if n, err := s.tokenize(ctx, r, d, oa); err == nil {
				return n, nil
			} else {
				s.d.Log.WarnContext(ctx, "tokenize failed, approximating", "deployment", d.URL, "err", err)
			}
		}
	}
	return ApproxTokens(oa), nil
}

func (s *Server) tokenize(ctx context.Context, in *http.Request, d *config.Deployment, oa *anthropic.ChatRequest) (int, error) {
	b, _ := json.Marshal(map[string]any{"model": d.Model, "messages": oa.Messages, "add_generation_prompt": true})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.URL+"/tokenize", bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	s.authorize(req, in, d)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return 0, errorf(resp.StatusCode, "tokenize", upstreamMessage(msg))
	}
	var v struct {
		Count int `json:"count"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return 0, err
	}
	return v.Count, nil
}

// ApproxTokens is the count used when no backend tokenizer is available:
// one token per four bytes of message text, tool definitions and tool
// calls (the common rule of thumb for English with BPE tokenizers), plus
// four tokens of chat-template framing per message. It is an estimate,
// not a bound; limits use quota.Estimate instead.
func ApproxTokens(c *anthropic.ChatRequest) int {
	bytes := 0
	for _, m := range c.Messages {
		bytes += 16 // role and template framing, ~4 tokens
		switch v := m.Content.(type) {
		case string:
			bytes += len(v)
		case []anthropic.ContentPart:
			for _, p := range v {
				bytes += len(p.Text)
			}
		}
		for _, tc := range m.ToolCalls {
			bytes += len(tc.Function.Name) + len(tc.Function.Arguments)
		}
	}
	for _, t := range c.Tools {
		bytes += len(t.Function.Name) + len(t.Function.Description) + len(t.Function.Parameters)
	}
	return (bytes + 3) / 4
}
