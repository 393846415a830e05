package anthropic

import (
	"encoding/json"
)

// Event is one server-sent event of the Messages stream.
type Event struct {
	Name string
	Data []byte
}

// Stream turns OpenAI chat completion chunks into the Messages event
// sequence: message_start, ping, then per content block
// content_block_start / content_block_delta (text_delta, input_json_delta) /
// content_block_stop, and finally message_delta and message_stop.
type Stream struct {
	req     *MessagesRequest
	id      string
	started bool
	// open is the kind of the open content block ("" when none).
	open      string
	index     int
	toolIndex map[int]bool // OpenAI tool_call index already opened
	curTool   int
	finish    string
	vllmStop  any
	usage     Usage
	done      bool
}

// NewStream starts a translation for req; id is the message id to report.
func NewStream(req *MessagesRequest, id string, inputTokens int) *Stream {
	return &Stream{req: req, id: id, index: -1, toolIndex: map[int]bool{}, curTool: -1, usage: Usage{InputTokens: inputTokens}}
}

func ev(name string, v any) Event {
	b, _ := json.Marshal(v)
	return Event{Name: name, Data: b}
}

func (s *Stream) start() []Event {
	s.started = true
	msg := map[string]any{
		"id": s.id, "type": "message", "role": "assistant", "model": s.req.Model,
		"content": []any{}, "stop_reason": nil, "stop_sequence": nil,
		"usage": map[string]int{"input_tokens": s.usage.InputTokens, "output_tokens": 0},
	}
	return []Event{
		ev("message_start", map[string]any{"type": "message_start", "message": msg}),
		ev("ping", map[string]string{"type": "ping"}),
	}
}

func (s *Stream) closeBlock() []Event {
	if s.open == "" {
		return nil
	}
	s.open = ""
	return []Event{ev("content_block_stop", map[string]any{"type": "content_block_stop", "index": s.index})}
}

// Chunk consumes one "data:" payload of the OpenAI stream (without the
// "data: " prefix) and returns the events to send.
func (s *Stream) Chunk(data []byte) ([]Event, error) {
	var out []Event
	if !s.started {
		out = append(out, s.start()...)
	}
	if string(data) == "[DONE]" {
		return append(out, s.Finish()...), nil
	}
	var c ChatResponse
	if err := json.Unmarshal(data, &c); err != nil {
		return out, err
	}
	if c.Usage != nil {
		s.usage.InputTokens = c.Usage.PromptTokens
		s.usage.OutputTokens = c.Usage.CompletionTokens
	}
	for _, ch := range c.Choices {
		if ch.Index != 0 {
			continue // Messages has one candidate
		}
		d := ch.Delta
		if d.Content != nil && *d.Content != "" {
			if s.open != "text" {
				out = append(out, s.closeBlock()...)
				s.index++
				s.open = "text"
				out = append(out, ev("content_block_start", map[string]any{
					"type": "content_block_start", "index": s.index,
					"content_block": map[string]string{"type": "text", "text": ""},
				}))
			}
			out = append(out, ev("content_block_delta", map[string]any{
				"type": "content_block_delta", "index": s.index,
				"delta": map[string]string{"type": "text_delta", "text": *d.Content},
			}))
		}
		for _, tc := range d.ToolCalls {
			ti := 0
			if tc.Index != nil {
				ti = *tc.Index
			}
			if !s.toolIndex[ti] {
				s.toolIndex[ti] = true
				out = append(out, s.closeBlock()...)
				s.index++
				s.open = "tool_use"
				s.curTool = ti
				out = append(out, ev("content_block_start", map[string]any{
					"type": "content_block_start", "index": s.index,
					"content_block": map[string]any{"type": "tool_use", "id": tc.ID, "name": tc.Function.Name, "input": map[string]any{}},
				}))
			}
			if tc.Function.Arguments != "" && ti == s.curTool {
				out = append(out, ev("content_block_delta", map[string]any{
					"type": "content_block_delta", "index": s.index,
					"delta": map[string]string{"type": "input_json_delta", "partial_json": tc.Function.Arguments},
				}))
			}
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			s.finish = *ch.FinishReason
			s.vllmStop = ch.StopReason
		}
	}
	return out, nil
}

// Finish closes the message; it is idempotent, so an upstream that ends
// without [DONE] still yields a well-formed stream.
func (s *Stream) Finish() []Event {
	if s.done {
		return nil
	}
	var out []Event
	if !s.started {
		out = append(out, s.start()...)
	}
	s.done = true
	out = append(out, s.closeBlock()...)
	stop, seq := StopReason(s.finish, s.vllmStop, s.req.StopSequences)
	out = append(out,
		ev("message_delta", map[string]any{
			"type":  "message_delta",
			"delta": map[string]any{"stop_reason": stop, "stop_sequence": seq},
			"usage": map[string]int{"input_tokens": s.usage.InputTokens, "output_tokens": s.usage.OutputTokens},
		}),
		ev("message_stop", map[string]string{"type": "message_stop"}),
	)
	return out
}

// Usage is what the upstream reported so far.
func (s *Stream) Usage() Usage { return s.usage }

// ErrorEvent is the in-stream error Anthropic clients understand.
func ErrorEvent(errType, msg string) Event {
	return Event{Name: "error", Data: ErrorBody(errType, msg)}
}
