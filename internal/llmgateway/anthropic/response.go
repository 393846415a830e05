package anthropic

import (
	"encoding/json"
	"slices"
)

// StopReason maps an OpenAI finish_reason (and vLLM's stop_reason, the
// matched stop string) to Anthropic's stop_reason and stop_sequence.
func StopReason(finish string, vllmStop any, stopSequences []string) (string, *string) {
	switch finish {
	case "length":
		return "max_tokens", nil
	case "tool_calls", "function_call":
		return "tool_use", nil
	case "content_filter":
		return "refusal", nil
	}
	if s, ok := vllmStop.(string); ok && slices.Contains(stopSequences, s) {
		return "stop_sequence", &s
	}
	return "end_turn", nil
}

// FinishReason is the reverse map, for Anthropic-native backends answering
// OpenAI-shaped clients.
func FinishReason(stop string) string {
	switch stop {
	case "max_tokens":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "refusal":
		return "content_filter"
	default:
		return "stop"
	}
}

// FromOpenAI translates a chat completion into a Messages response.
func FromOpenAI(c *ChatResponse, req *MessagesRequest, id string) *Response {
	r := &Response{ID: id, Type: "message", Role: "assistant", Model: req.Model, Content: []OutBlock{}}
	if c.Usage != nil {
		r.Usage = Usage{InputTokens: c.Usage.PromptTokens, OutputTokens: c.Usage.CompletionTokens}
	}
	if len(c.Choices) == 0 {
		stop := "end_turn"
		r.StopReason = &stop
		return r
	}
	ch := c.Choices[0]
	if s, ok := ch.Message.Content.(string); ok && s != "" {
		r.Content = append(r.Content, OutBlock{Type: "text", Text: &s})
	}
	for _, tc := range ch.Message.ToolCalls {
		r.Content = append(r.Content, OutBlock{Type: "tool_use", ID: tc.ID, Name: tc.Function.Name, Input: toolInput(tc.Function.Arguments)})
	}
	finish := ""
	if ch.FinishReason != nil {
		finish = *ch.FinishReason
	}
	stop, seq := StopReason(finish, ch.StopReason, req.StopSequences)
	r.StopReason, r.StopSequence = &stop, seq
	return r
}

// toolInput keeps the model's arguments when they are a JSON object and
// wraps anything else, since Anthropic's input must be an object.
func toolInput(args string) json.RawMessage {
	var obj map[string]json.RawMessage
	if args == "" {
		return json.RawMessage(`{}`)
	}
	if err := json.Unmarshal([]byte(args), &obj); err != nil {
		b, _ := json.Marshal(map[string]string{"_raw": args})
		return b
	}
	return json.RawMessage(args)
}

// ErrorBody is Anthropic's error shape.
func ErrorBody(errType, msg string) []byte {
	b, _ := json.Marshal(map[string]any{"type": "error", "error": map[string]string{"type": errType, "message": msg}})
	return b
}

// ErrorType is the Anthropic error type for an HTTP status.
func ErrorType(status int) string {
	switch status {
	case 400, 413, 422:
		if status == 413 {
			return "request_too_large"
		}
		return "invalid_request_error"
	case 401:
		return "authentication_error"
	case 403:
		return "permission_error"
	case 404:
		return "not_found_error"
	case 429:
		return "rate_limit_error"
	case 503, 529:
		return "overloaded_error"
	default:
		return "api_error"
	}
}
