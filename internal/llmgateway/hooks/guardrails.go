package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/openova-io/openova/internal/llmgateway"
)

// Guardrails checks messages with a NeMo Guardrails server: POST
// /v1/chat/completions with config_id, the messages, options.rails limited
// to input (or output, with the completion as the last assistant message)
// and options.log.activated_rails; a rail that activated with stop: true
// blocked the content.
type Guardrails struct {
	URL, ConfigID string
	FailOpen      bool
	Timeout       time.Duration
	Client        *http.Client
	Log           *slog.Logger
	// Outages counts checks that could not be made (and were let through
	// when FailOpen).
	Outages atomic.Int64
}

type rails struct {
	Input     bool `json:"input"`
	Output    bool `json:"output"`
	Dialog    bool `json:"dialog"`
	Retrieval bool `json:"retrieval"`
}

type guardReq struct {
	ConfigID string                    `json:"config_id,omitempty"`
	Messages []llmgateway.GuardMessage `json:"messages"`
	Options  struct {
		Rails rails `json:"rails"`
		Log   struct {
			ActivatedRails bool `json:"activated_rails"`
		} `json:"log"`
	} `json:"options"`
}

type guardResp struct {
	Log struct {
		ActivatedRails []struct {
			Type string `json:"type"`
			Name string `json:"name"`
			Stop bool   `json:"stop"`
		} `json:"activated_rails"`
	} `json:"log"`
}

// CheckInput runs the input rails over the prompt.
func (g *Guardrails) CheckInput(ctx context.Context, msgs []llmgateway.GuardMessage) error {
	return g.check(ctx, msgs, rails{Input: true}, "prompt")
}

// CheckOutput runs the output rails over the completion.
func (g *Guardrails) CheckOutput(ctx context.Context, msgs []llmgateway.GuardMessage, output string) error {
	all := append(append([]llmgateway.GuardMessage(nil), msgs...), llmgateway.GuardMessage{Role: "assistant", Content: output})
	return g.check(ctx, all, rails{Output: true}, "completion")
}

func (g *Guardrails) check(ctx context.Context, msgs []llmgateway.GuardMessage, r rails, what string) error {
	var req guardReq
	req.ConfigID, req.Messages = g.ConfigID, msgs
	req.Options.Rails = r
	req.Options.Log.ActivatedRails = true
	blocked, rail, err := g.call(ctx, &req)
	if err != nil {
		g.Outages.Add(1)
		if g.FailOpen {
			g.Log.WarnContext(ctx, "guardrails unavailable, letting the call through (failOpen)", "err", err)
			return nil
		}
		return &llmgateway.Error{Status: http.StatusServiceUnavailable, Code: "guardrails_unavailable", Msg: "the guardrails service is unavailable; the call was not made (failOpen is off)"}
	}
	if blocked {
		return &llmgateway.Error{Status: http.StatusBadRequest, Code: "content_policy_violation", Msg: fmt.Sprintf("the %s was blocked by guardrail %q", what, rail)}
	}
	return nil
}

func (g *Guardrails) call(ctx context.Context, body *guardReq) (bool, string, error) {
	ctx, cancel := context.WithTimeout(ctx, g.Timeout)
	defer cancel()
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+"/v1/chat/completions", bytes.NewReader(b))
	if err != nil {
		return false, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := g.Client.Do(req)
	if err != nil {
		return false, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, "", fmt.Errorf("guardrails answered %d", resp.StatusCode)
	}
	var v guardResp
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		return false, "", fmt.Errorf("guardrails answer: %w", err)
	}
	for _, a := range v.Log.ActivatedRails {
		if a.Stop {
			return true, a.Name, nil
		}
	}
	return false, "", nil
}
