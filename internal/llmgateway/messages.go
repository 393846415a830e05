package llmgateway

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/openova-io/openova/internal/llmgateway/anthropic"
	"github.com/openova-io/openova/internal/llmgateway/config"
	"github.com/openova-io/openova/internal/llmgateway/route"
)

// anthropicHeaders are forwarded to Anthropic-native backends untouched.
var anthropicHeaders = []string{"anthropic-version", "anthropic-beta"}

func (s *Server) messages(w http.ResponseWriter, r *http.Request) {
	ctx, span := s.d.Tracer.Start(r.Context(), "POST /v1/messages")
	defer span.End()
	x := s.newExchange(r, "anthropic")
	if err := s.serveMessages(ctx, w, r, x); err != nil {
		if e, ok := err.(*Error); ok {
			x.call.Status = e.Status
		} else {
			x.call.Status = http.StatusInternalServerError
		}
		writeError(w, err, true)
	}
	s.settle(ctx, x)
}

func badRequest(err error) error {
	return errorf(http.StatusBadRequest, "invalid_request", err.Error())
}

func (s *Server) serveMessages(ctx context.Context, w http.ResponseWriter, r *http.Request, x *exchange) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	req, err := anthropic.ParseRequest(body)
	if err != nil {
		return badRequest(err)
	}
	x.call.Stream = req.Stream
	maxTok := int64(req.MaxTokens)
	var mt *int64
	if req.MaxTokens > 0 {
		mt = &maxTok
	}
	if err := s.admit(ctx, r, x, req.Model, len(body), mt); err != nil {
		return err
	}
	if s.d.Guard != nil {
		if oa, err := anthropic.ToOpenAI(req, req.Model); err == nil {
			x.call.Input = guardMessages(oa)
			if err := s.d.Guard.CheckInput(ctx, x.call.Input); err != nil {
				return err
			}
		}
	}
	ans, err := s.call(ctx, r, x.model, func(a route.Attempt) (outbound, error) {
		return s.prepareMessages(r, body, req, a)
	})
	if err != nil {
		return err
	}
	defer ans.close()
	x.call.Deployment = ans.attempt.Deployment.URL
	x.call.Status = ans.resp.StatusCode
	if ans.attempt.Deployment.API == config.APIAnthropic {
		return s.relayNative(w, ans, x)
	}
	if ans.resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(ans.resp.Body, 64<<10))
		e := errorf(ans.resp.StatusCode, "upstream_error", "upstream: "+upstreamMessage(b))
		if ra, err := strconv.Atoi(ans.resp.Header.Get("Retry-After")); err == nil {
			e.RetryAfter = ra
		}
		return e
	}
	id := "msg_" + x.call.ID
	if req.Stream {
		return s.translateStream(w, ans, req, id, x)
	}
	var c anthropic.ChatResponse
	if err := json.NewDecoder(ans.resp.Body).Decode(&c); err != nil {
		return errorf(http.StatusBadGateway, "upstream_read", "upstream answer is not a chat completion: "+err.Error())
	}
	out := anthropic.FromOpenAI(&c, req, id)
	x.call.PromptTokens, x.call.CompletionTokens = int64(out.Usage.InputTokens), int64(out.Usage.OutputTokens)
	if s.d.Guard != nil {
		for _, b := range out.Content {
			if b.Text != nil {
				x.call.Output += *b.Text
			}
		}
		if err := s.d.Guard.CheckOutput(ctx, x.call.Input, x.call.Output); err != nil {
			return err
		}
	}
	w.Header().Set("Content-Type", "application/json")
	err = json.NewEncoder(w).Encode(out)
	flush(w)
	return err
}

func (s *Server) prepareMessages(r *http.Request, body []byte, req *anthropic.MessagesRequest, a route.Attempt) (outbound, error) {
	h := http.Header{"Content-Type": {"application/json"}}
	if a.Deployment.API == config.APIAnthropic {
		for _, k := range anthropicHeaders {
			if v := r.Header.Values(k); len(v) > 0 {
				h[http.CanonicalHeaderKey(k)] = v
			}
		}
		b, err := rewrite(body, a.Deployment.Model, req.Model, false)
		return outbound{path: "/v1/messages", body: b, header: h}, err
	}
	up := a.Deployment.Model
	if up == "" {
		up = req.Model
	}
	oa, err := anthropic.ToOpenAI(req, up)
	if err != nil {
		return outbound{}, badRequest(err)
	}
	b, err := json.Marshal(oa)
	return outbound{path: "/v1/chat/completions", body: b, header: h}, err
}

// relayNative passes an Anthropic backend's answer through, reading usage
// on the way for limits and metering.
func (s *Server) relayNative(w http.ResponseWriter, ans *answer, x *exchange) error {
	copyHeader(w.Header(), ans.resp.Header)
	var u struct {
		Usage   *anthropic.Usage `json:"usage"`
		Message *struct {
			Usage anthropic.Usage `json:"usage"`
		} `json:"message"`
	}
	if x.call.Stream && ans.resp.StatusCode == http.StatusOK {
		w.WriteHeader(http.StatusOK)
		_ = relaySSE(w, ans.resp.Body, func(name string, data []byte) bool {
			if name == "message_start" || name == "message_delta" {
				u.Usage, u.Message = nil, nil
				if json.Unmarshal(data, &u) == nil {
					if u.Message != nil {
						x.call.PromptTokens = int64(u.Message.Usage.InputTokens)
					}
					if u.Usage != nil {
						x.call.CompletionTokens = int64(u.Usage.OutputTokens)
						if u.Usage.InputTokens > 0 {
							x.call.PromptTokens = int64(u.Usage.InputTokens)
						}
					}
				}
			}
			return true
		})
		return nil
	}
	b, err := io.ReadAll(ans.resp.Body)
	if err != nil {
		return errorf(http.StatusBadGateway, "upstream_read", err.Error())
	}
	if json.Unmarshal(b, &u) == nil && u.Usage != nil {
		x.call.PromptTokens, x.call.CompletionTokens = int64(u.Usage.InputTokens), int64(u.Usage.OutputTokens)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(ans.resp.StatusCode)
	_, _ = w.Write(b)
	flush(w)
	return nil
}

func (s *Server) translateStream(w http.ResponseWriter, ans *answer, req *anthropic.MessagesRequest, id string, x *exchange) error {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	st := anthropic.NewStream(req, id, 0)
	var werr error
	send := func(evs []anthropic.Event) {
		for _, e := range evs {
			if werr == nil {
				werr = writeEvent(w, e.Name, e.Data)
			}
		}
	}
	sink := discardWriter{}
	err := relaySSE(sink, ans.resp.Body, func(_ string, data []byte) bool {
		if werr != nil {
			return false
		}
		evs, err := st.Chunk(data)
		if err != nil {
			send([]anthropic.Event{anthropic.ErrorEvent("api_error", "upstream sent an invalid chunk")})
			werr = err
			return false
		}
		send(evs)
		return false
	})
	u := st.Usage()
	x.call.PromptTokens, x.call.CompletionTokens = int64(u.InputTokens), int64(u.OutputTokens)
	if werr != nil {
		return nil // client gone, or already reported in-stream
	}
	if err != nil {
		send([]anthropic.Event{anthropic.ErrorEvent("api_error", fmt.Sprintf("upstream stream broke: %v", err))})
		return nil
	}
	send(st.Finish())
	return nil
}

// discardWriter lets relaySSE parse events whose bytes are replaced by
// translated ones.
type discardWriter struct{}

func (discardWriter) Header() http.Header         { return http.Header{} }
func (discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (discardWriter) WriteHeader(int)             {}

func guardMessages(c *anthropic.ChatRequest) []GuardMessage {
	out := make([]GuardMessage, 0, len(c.Messages))
	for _, m := range c.Messages {
		switch v := m.Content.(type) {
		case string:
			out = append(out, GuardMessage{Role: m.Role, Content: v})
		case []anthropic.ContentPart:
			t := ""
			for _, p := range v {
				t += p.Text
			}
			out = append(out, GuardMessage{Role: m.Role, Content: t})
		}
	}
	return out
}
