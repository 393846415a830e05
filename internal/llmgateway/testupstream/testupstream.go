// Package testupstream is an in-process server that speaks the OpenAI
// protocol the way vLLM does (chat and text completions, streaming with
// stream_options.include_usage, tool calls, embeddings, /v1/models and
// vLLM's /tokenize). Tests and the benchmark run the gateway against it;
// no real model server can run on the build machine.
package testupstream

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is one fake deployment. Its knobs may be set before it serves.
type Server struct {
	*httptest.Server
	Name string
	// FailFirst answers the first FailFirst requests with FailStatus.
	FailFirst  int64
	FailStatus int
	// Delay is slept before answering; ChunkDelay between stream chunks.
	Delay      time.Duration
	ChunkDelay time.Duration

	Requests atomic.Int64
	Canceled atomic.Int64

	mu      sync.Mutex
	headers []http.Header
	bodies  [][]byte
}

// New starts a server on 127.0.0.1.
func New(name string) *Server {
	s := &Server{Name: name, FailStatus: http.StatusServiceUnavailable}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.chat)
	mux.HandleFunc("POST /v1/completions", s.completions)
	mux.HandleFunc("POST /v1/embeddings", s.embeddings)
	mux.HandleFunc("GET /v1/models", s.models)
	mux.HandleFunc("POST /tokenize", s.tokenize)
	s.Server = httptest.NewServer(mux)
	return s
}

// Last returns the headers and body of the last request seen.
func (s *Server) Last() (http.Header, []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.bodies) == 0 {
		return nil, nil
	}
	return s.headers[len(s.headers)-1], s.bodies[len(s.bodies)-1]
}

type chatReq struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Prompt        any  `json:"prompt"`
	MaxTokens     *int `json:"max_tokens"`
	MaxCompletion *int `json:"max_completion_tokens"`
	Stream        bool `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Tools      []json.RawMessage `json:"tools"`
	ToolChoice json.RawMessage   `json:"tool_choice"`
	Input      any               `json:"input"`
}

// words is the fake tokenizer: one token per whitespace-separated word.
func words(s string) []string { return strings.Fields(s) }

func (r *chatReq) promptText() string {
	var b strings.Builder
	for _, m := range r.Messages {
		var s string
		if json.Unmarshal(m.Content, &s) != nil {
			var parts []struct{ Text string }
			_ = json.Unmarshal(m.Content, &parts)
			for _, p := range parts {
				s += " " + p.Text
			}
		}
		b.WriteString(m.Role + " " + s + " ")
	}
	if p, ok := r.Prompt.(string); ok {
		b.WriteString(p)
	}
	return b.String()
}

func (r *chatReq) lastUser() string {
	for i := len(r.Messages) - 1; i >= 0; i-- {
		if r.Messages[i].Role == "user" || r.Messages[i].Role == "tool" {
			var s string
			if json.Unmarshal(r.Messages[i].Content, &s) == nil {
				return s
			}
			return "content parts"
		}
	}
	return "hello"
}

func (s *Server) admit(w http.ResponseWriter, r *http.Request) (*chatReq, bool) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.headers = append(s.headers, r.Header.Clone())
	s.bodies = append(s.bodies, body)
	s.mu.Unlock()
	n := s.Requests.Add(1)
	if n <= s.FailFirst {
		http.Error(w, `{"object":"error","message":"induced failure","type":"ServiceUnavailable","code":`+fmt.Sprint(s.FailStatus)+`}`, s.FailStatus)
		return nil, false
	}
	if s.Delay > 0 {
		select {
		case <-time.After(s.Delay):
		case <-r.Context().Done():
			s.Canceled.Add(1)
			return nil, false
		}
	}
	var req chatReq
	if err := json.Unmarshal(body, &req); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"object":"error","message":%q,"type":"BadRequestError","code":400}`, err.Error())
		return nil, false
	}
	return &req, true
}

func (r *chatReq) limit() int {
	switch {
	case r.MaxCompletion != nil:
		return *r.MaxCompletion
	case r.MaxTokens != nil:
		return *r.MaxTokens
	}
	return 1 << 20
}

// reply is the echo of the last user turn, cut at the token limit.
func (r *chatReq) reply() ([]string, string) {
	ws := words("You said: " + r.lastUser())
	if lim := r.limit(); len(ws) > lim {
		return ws[:lim], "length"
	}
	return ws, "stop"
}

func (r *chatReq) wantsTool() bool {
	return len(r.Tools) > 0 && string(r.ToolChoice) != `"none"`
}

func (r *chatReq) toolName() string {
	var t struct {
		Function struct{ Name string } `json:"function"`
	}
	_ = json.Unmarshal(r.Tools[0], &t)
	return t.Function.Name
}

func usage(p, c int) map[string]int {
	return map[string]int{"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	req, ok := s.admit(w, r)
	if !ok {
		return
	}
	id := "chatcmpl-" + s.Name
	prompt := len(words(req.promptText()))
	ws, finish := req.reply()
	if req.Stream {
		s.streamChat(w, r, req, id, prompt, ws, finish)
		return
	}
	msg := map[string]any{"role": "assistant", "content": strings.Join(ws, " "), "tool_calls": []any{}}
	completion := len(ws)
	if req.wantsTool() {
		msg["content"] = nil
		msg["tool_calls"] = []any{map[string]any{"id": "chatcmpl-tool-1", "type": "function",
			"function": map[string]string{"name": req.toolName(), "arguments": `{"city": "Oslo"}`}}}
		finish, completion = "tool_calls", 5
	}
	writeJSON(w, map[string]any{
		"id": id, "object": "chat.completion", "created": 1700000000, "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "message": msg, "logprobs": nil, "finish_reason": finish, "stop_reason": nil}},
		"usage":   usage(prompt, completion),
	})
}

func (s *Server) streamChat(w http.ResponseWriter, r *http.Request, req *chatReq, id string, prompt int, ws []string, finish string) {
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	chunk := func(delta map[string]any, fin any) bool {
		if s.ChunkDelay > 0 {
			select {
			case <-time.After(s.ChunkDelay):
			case <-r.Context().Done():
				s.Canceled.Add(1)
				return false
			}
		}
		b, _ := json.Marshal(map[string]any{"id": id, "object": "chat.completion.chunk", "created": 1700000000, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "logprobs": nil, "finish_reason": fin}}})
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			s.Canceled.Add(1)
			return false
		}
		fl.Flush()
		return true
	}
	if !chunk(map[string]any{"role": "assistant", "content": ""}, nil) {
		return
	}
	completion := len(ws)
	if req.wantsTool() {
		finish, completion = "tool_calls", 5
		parts := []string{`{"city"`, `: "Oslo"}`}
		if !chunk(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "id": "chatcmpl-tool-1", "type": "function", "function": map[string]string{"name": req.toolName(), "arguments": ""}}}}, nil) {
			return
		}
		for _, p := range parts {
			if !chunk(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]string{"arguments": p}}}}, nil) {
				return
			}
		}
	} else {
		for i, wd := range ws {
			if i > 0 {
				wd = " " + wd
			}
			if !chunk(map[string]any{"content": wd}, nil) {
				return
			}
		}
	}
	if !chunk(map[string]any{}, finish) {
		return
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		b, _ := json.Marshal(map[string]any{"id": id, "object": "chat.completion.chunk", "created": 1700000000, "model": req.Model,
			"choices": []any{}, "usage": usage(prompt, completion)})
		fmt.Fprintf(w, "data: %s\n\n", b)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	fl.Flush()
}

func (s *Server) completions(w http.ResponseWriter, r *http.Request) {
	req, ok := s.admit(w, r)
	if !ok {
		return
	}
	ws, finish := req.reply()
	writeJSON(w, map[string]any{
		"id": "cmpl-" + s.Name, "object": "text_completion", "created": 1700000000, "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "text": strings.Join(ws, " "), "logprobs": nil, "finish_reason": finish}},
		"usage":   usage(len(words(req.promptText())), len(ws)),
	})
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request) {
	req, ok := s.admit(w, r)
	if !ok {
		return
	}
	in, _ := req.Input.(string)
	writeJSON(w, map[string]any{
		"object": "list", "model": req.Model,
		"data":  []any{map[string]any{"object": "embedding", "index": 0, "embedding": []float64{0.1, 0.2, 0.3}}},
		"usage": map[string]int{"prompt_tokens": len(words(in)), "total_tokens": len(words(in))},
	})
}

func (s *Server) models(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, map[string]any{"object": "list", "data": []any{map[string]any{"id": s.Name, "object": "model", "owned_by": "vllm"}}})
}

func (s *Server) tokenize(w http.ResponseWriter, r *http.Request) {
	req, ok := s.admit(w, r)
	if !ok {
		return
	}
	n := len(words(req.promptText()))
	tokens := make([]int, n)
	writeJSON(w, map[string]any{"count": n, "max_model_len": 8192, "tokens": tokens})
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
