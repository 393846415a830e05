package llmgateway

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/openova-io/openova/internal/llmgateway/anthropic"
)

// Error is a gateway failure with the HTTP status it maps to. Every error a
// handler returns passes through writeError, the one place statuses and
// body shapes are decided.
type Error struct {
	Status     int
	Code       string // OpenAI error code, e.g. model_not_found
	Msg        string
	RetryAfter int // seconds; set on 429
}

func (e *Error) Error() string { return e.Msg }

func errorf(status int, code, msg string) *Error { return &Error{Status: status, Code: code, Msg: msg} }

func openAIType(status int) string {
	switch {
	case status == 401:
		return "authentication_error"
	case status == 403:
		return "permission_error"
	case status == 404:
		return "not_found_error"
	case status == 429:
		return "rate_limit_error"
	case status < 500:
		return "invalid_request_error"
	default:
		return "server_error"
	}
}

// writeError answers in the OpenAI shape, or Anthropic's when anthropicShape.
func writeError(w http.ResponseWriter, err error, anthropicShape bool) {
	var e *Error
	if !errors.As(err, &e) {
		e = errorf(http.StatusInternalServerError, "internal_error", "internal error")
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	if anthropicShape {
		_, _ = w.Write(anthropic.ErrorBody(anthropic.ErrorType(e.Status), e.Msg))
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{
		"message": e.Msg, "type": openAIType(e.Status), "param": nil, "code": e.Code,
	}})
}

// upstreamMessage pulls the human message out of an upstream error body in
// either the OpenAI, vLLM or Anthropic shape.
func upstreamMessage(body []byte) string {
	var v struct {
		Message string `json:"message"`
		Error   struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &v) == nil {
		if v.Error.Message != "" {
			return v.Error.Message
		}
		if v.Message != "" {
			return v.Message
		}
	}
	if len(body) > 200 {
		body = body[:200]
	}
	return string(body)
}
