package hooks

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/openova-io/openova/internal/llmgateway"
)

func postJSON(ctx context.Context, c *http.Client, url, contentType string, body any, auth func(*http.Request)) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", contentType)
	auth(req)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 && resp.StatusCode != http.StatusMultiStatus {
		return fmt.Errorf("%s answered %d", url, resp.StatusCode)
	}
	return nil
}

func iso(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// LangFuse sends each call as a trace and a generation to LangFuse's
// ingestion API (POST /api/public/ingestion, basic auth with the project's
// public and secret key; answers 207 with per-event results).
type LangFuse struct {
	*Batcher[llmgateway.Call]
}

// NewLangFuse posts to baseURL (http://langfuse-web:3000).
func NewLangFuse(baseURL, publicKey, secretKey string, client *http.Client, queue, batch int, every time.Duration) *LangFuse {
	send := func(ctx context.Context, calls []llmgateway.Call) error {
		events := make([]map[string]any, 0, 2*len(calls))
		for _, c := range calls {
			end := c.Start.Add(c.Duration)
			meta := map[string]any{"team": c.Team, "keyId": c.KeyID, "deployment": c.Deployment, "api": c.API, "stream": c.Stream, "status": c.Status}
			events = append(events,
				map[string]any{"id": c.ID + "-t", "timestamp": iso(end), "type": "trace-create", "body": map[string]any{
					"id": c.ID, "name": "llm-gateway " + c.API, "timestamp": iso(c.Start), "userId": c.Team, "metadata": meta,
					"input": c.Input, "output": c.Output, "tags": []string{"llm-gateway"},
				}},
				map[string]any{"id": c.ID + "-g", "timestamp": iso(end), "type": "generation-create", "body": map[string]any{
					"id": c.ID + "-gen", "traceId": c.ID, "name": c.Model, "model": c.Model, "startTime": iso(c.Start), "endTime": iso(end),
					"input": c.Input, "output": c.Output, "metadata": meta, "level": level(c.Status),
					"usage": map[string]any{"input": c.PromptTokens, "output": c.CompletionTokens, "total": c.PromptTokens + c.CompletionTokens, "unit": "TOKENS"},
				}})
		}
		return postJSON(ctx, client, baseURL+"/api/public/ingestion", "application/json", map[string]any{"batch": events},
			func(r *http.Request) { r.SetBasicAuth(publicKey, secretKey) })
	}
	return &LangFuse{NewBatcher("langfuse", queue, batch, every, send)}
}

func level(status int) string {
	if status >= 400 {
		return "ERROR"
	}
	return "DEFAULT"
}

// Observe queues a call; it never blocks.
func (l *LangFuse) Observe(c llmgateway.Call) { l.Offer(c) }

// OpenMeter meters each call's tokens as two CloudEvents (type "tokens",
// data.type input and output, subject the team) to OpenMeter's event
// ingestion API (POST /api/v1/events, application/cloudevents-batch+json,
// bearer token; answers 204).
type OpenMeter struct {
	*Batcher[llmgateway.Call]
}

// NewOpenMeter posts to baseURL (http://openmeter:8888).
func NewOpenMeter(baseURL, token string, client *http.Client, queue, batch int, every time.Duration) *OpenMeter {
	send := func(ctx context.Context, calls []llmgateway.Call) error {
		events := make([]map[string]any, 0, 2*len(calls))
		for _, c := range calls {
			for _, k := range []struct {
				kind string
				n    int64
			}{{"input", c.PromptTokens}, {"output", c.CompletionTokens}} {
				events = append(events, map[string]any{
					"specversion": "1.0", "id": c.ID + "-" + k.kind, "source": "llm-gateway", "type": "tokens",
					"subject": c.Team, "time": iso(c.Start.Add(c.Duration)), "datacontenttype": "application/json",
					"data": map[string]any{"tokens": k.n, "model": c.Model, "type": k.kind, "keyId": c.KeyID, "api": c.API, "costMicroUSD": c.CostMicroUSD},
				})
			}
		}
		return postJSON(ctx, client, baseURL+"/api/v1/events", "application/cloudevents-batch+json", events, func(r *http.Request) {
			if token != "" {
				r.Header.Set("Authorization", "Bearer "+token)
			}
		})
	}
	return &OpenMeter{NewBatcher("openmeter", queue, batch, every, send)}
}

// Observe queues a call (only those that used tokens); it never blocks.
func (o *OpenMeter) Observe(c llmgateway.Call) {
	if c.PromptTokens+c.CompletionTokens > 0 {
		o.Offer(c)
	}
}
