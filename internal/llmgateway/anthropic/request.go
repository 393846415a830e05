package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Error is a request the translation cannot express; Field names where.
type Error struct {
	Field, Msg string
}

func (e *Error) Error() string { return e.Field + ": " + e.Msg }

func bad(field, format string, a ...any) error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// ParseRequest decodes and checks a Messages request.
func ParseRequest(body []byte) (*MessagesRequest, error) {
	var r MessagesRequest
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, bad("body", "not a JSON Messages request: %v", err)
	}
	if r.Model == "" {
		return nil, bad("model", "required")
	}
	if len(r.Messages) == 0 {
		return nil, bad("messages", "at least one message is required")
	}
	return &r, nil
}

// ToOpenAI translates a Messages request into a chat completions request
// for upstreamModel.
func ToOpenAI(r *MessagesRequest, upstreamModel string) (*ChatRequest, error) {
	out := &ChatRequest{
		Model:       upstreamModel,
		MaxTokens:   r.MaxTokens,
		Temperature: r.Temperature,
		TopP:        r.TopP,
		TopK:        r.TopK,
		Stop:        r.StopSequences,
		Stream:      r.Stream,
	}
	if r.Stream {
		out.StreamOptions = &StreamOptions{IncludeUsage: true}
	}
	if r.Metadata != nil {
		out.User = r.Metadata.UserID
	}
	sys, err := systemText(r.System)
	if err != nil {
		return nil, err
	}
	if sys != "" {
		out.Messages = append(out.Messages, ChatMessage{Role: "system", Content: sys})
	}
	for i, m := range r.Messages {
		msgs, err := messageToOpenAI(m, fmt.Sprintf("messages[%d]", i))
		if err != nil {
			return nil, err
		}
		out.Messages = append(out.Messages, msgs...)
	}
	for _, t := range r.Tools {
		schema := t.InputSchema
		if len(schema) == 0 {
			schema = json.RawMessage(`{"type":"object"}`)
		}
		out.Tools = append(out.Tools, ChatTool{Type: "function", Function: FunctionSpec{Name: t.Name, Description: t.Description, Parameters: schema}})
	}
	if tc := r.ToolChoice; tc != nil {
		switch tc.Type {
		case "auto":
			out.ToolChoice = "auto"
		case "any":
			out.ToolChoice = "required"
		case "none":
			out.ToolChoice = "none"
		case "tool":
			if tc.Name == "" {
				return nil, bad("tool_choice.name", "required when tool_choice.type is tool")
			}
			out.ToolChoice = map[string]any{"type": "function", "function": map[string]string{"name": tc.Name}}
		default:
			return nil, bad("tool_choice.type", "%q is not one of auto, any, tool, none", tc.Type)
		}
		if tc.DisableParallelToolUse {
			f := false
			out.ParallelToolCalls = &f
		}
	}
	return out, nil
}

func systemText(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	blocks, err := blocksOf(raw, "system")
	if err != nil {
		return "", err
	}
	var parts []string
	for i, b := range blocks {
		if b.Type != "text" {
			return "", bad(fmt.Sprintf("system[%d].type", i), "%q: only text blocks are allowed in system", b.Type)
		}
		parts = append(parts, b.Text)
	}
	return strings.Join(parts, "\n"), nil
}

// blocksOf reads content that is either a string or a list of blocks.
func blocksOf(raw json.RawMessage, field string) ([]Block, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, bad(field, "%v", err)
		}
		return []Block{{Type: "text", Text: s}}, nil
	}
	var bs []Block
	if err := json.Unmarshal(raw, &bs); err != nil {
		return nil, bad(field, "want a string or a list of content blocks: %v", err)
	}
	return bs, nil
}

func messageToOpenAI(m Message, field string) ([]ChatMessage, error) {
	blocks, err := blocksOf(m.Content, field+".content")
	if err != nil {
		return nil, err
	}
	switch m.Role {
	case "user":
		return userToOpenAI(blocks, field)
	case "assistant":
		return assistantToOpenAI(blocks, field)
	default:
		return nil, bad(field+".role", "%q is not one of user, assistant (the system prompt goes in the top-level system field)", m.Role)
	}
}

// userToOpenAI puts tool results first, as OpenAI "tool" messages answering
// the previous assistant turn, then the user's text and images.
func userToOpenAI(blocks []Block, field string) ([]ChatMessage, error) {
	var out []ChatMessage
	var parts []ContentPart
	hasImage := false
	for i, b := range blocks {
		bf := fmt.Sprintf("%s.content[%d]", field, i)
		switch b.Type {
		case "text":
			parts = append(parts, ContentPart{Type: "text", Text: b.Text})
		case "image":
			u, err := imageURL(b.Source, bf+".source")
			if err != nil {
				return nil, err
			}
			hasImage = true
			parts = append(parts, ContentPart{Type: "image_url", ImageURL: &ImageURL{URL: u}})
		case "tool_result":
			if b.ToolUseID == "" {
				return nil, bad(bf+".tool_use_id", "required")
			}
			text, err := toolResultText(b, bf)
			if err != nil {
				return nil, err
			}
			out = append(out, ChatMessage{Role: "tool", ToolCallID: b.ToolUseID, Content: text})
		default:
			return nil, bad(bf+".type", "%q is not supported in a user message (text, image, tool_result)", b.Type)
		}
	}
	if len(parts) > 0 {
		if hasImage {
			out = append(out, ChatMessage{Role: "user", Content: parts})
		} else {
			out = append(out, ChatMessage{Role: "user", Content: joinText(parts)})
		}
	}
	return out, nil
}

func joinText(parts []ContentPart) string {
	ss := make([]string, len(parts))
	for i, p := range parts {
		ss[i] = p.Text
	}
	return strings.Join(ss, "\n")
}

func toolResultText(b Block, field string) (string, error) {
	if len(b.Content) == 0 {
		return "", nil
	}
	inner, err := blocksOf(b.Content, field+".content")
	if err != nil {
		return "", err
	}
	var ss []string
	for i, ib := range inner {
		if ib.Type != "text" {
			return "", bad(fmt.Sprintf("%s.content[%d].type", field, i), "%q: OpenAI tool messages carry text only", ib.Type)
		}
		ss = append(ss, ib.Text)
	}
	text := strings.Join(ss, "\n")
	if b.IsError {
		text = "Error: " + text
	}
	return text, nil
}

func imageURL(s *ImageSource, field string) (string, error) {
	if s == nil {
		return "", bad(field, "required for an image block")
	}
	switch s.Type {
	case "base64":
		if s.MediaType == "" || s.Data == "" {
			return "", bad(field, "media_type and data are required for a base64 image")
		}
		return "data:" + s.MediaType + ";base64," + s.Data, nil
	case "url":
		if s.URL == "" {
			return "", bad(field+".url", "required")
		}
		return s.URL, nil
	default:
		return "", bad(field+".type", "%q is not one of base64, url", s.Type)
	}
}

func assistantToOpenAI(blocks []Block, field string) ([]ChatMessage, error) {
	msg := ChatMessage{Role: "assistant"}
	var text []string
	for i, b := range blocks {
		bf := fmt.Sprintf("%s.content[%d]", field, i)
		switch b.Type {
		case "text":
			text = append(text, b.Text)
		case "tool_use":
			args := string(b.Input)
			if args == "" {
				args = "{}"
			}
			msg.ToolCalls = append(msg.ToolCalls, ToolCall{ID: b.ID, Type: "function", Function: FunctionCall{Name: b.Name, Arguments: args}})
		case "thinking", "redacted_thinking":
			// Not expressible upstream; dropped rather than failing the turn.
		default:
			return nil, bad(bf+".type", "%q is not supported in an assistant message (text, tool_use)", b.Type)
		}
	}
	if len(text) > 0 {
		msg.Content = strings.Join(text, "\n")
	}
	return []ChatMessage{msg}, nil
}
