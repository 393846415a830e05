package llmgateway_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	anth "github.com/anthropics/anthropic-sdk-go/v2"
	anthopt "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	oaopt "github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/openova-io/openova/internal/llmgateway"
	"github.com/openova-io/openova/internal/llmgateway/testupstream"
)

// The official SDKs, unchanged, as clients of the gateway in front of the
// vLLM-like test upstream (no real vLLM can run here).
func sdkGateway(t *testing.T) (string, *testupstream.Server, *recorder) {
	t.Helper()
	up := testupstream.New("llama")
	t.Cleanup(up.Close)
	gw, rec := gateway(t, fmt.Sprintf(`
models:
- name: llama
  deployments: [{url: %q, model: meta-llama/Llama-3.1-8B-Instruct, tokenize: true}]
`, up.URL), llmgateway.Deps{})
	return gw.URL, up, rec
}

func openaiClient(base string) openai.Client {
	return openai.NewClient(oaopt.WithBaseURL(base+"/v1/"), oaopt.WithAPIKey("sk-test"), oaopt.WithMaxRetries(0))
}

func anthropicClient(base string) anth.Client {
	return anth.NewClient(anthopt.WithBaseURL(base+"/"), anthopt.WithAPIKey("sk-test"), anthopt.WithMaxRetries(0))
}

var weatherTool = openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
	Name:        "get_weather",
	Description: openai.String("weather in a city"),
	Parameters:  shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]string{"type": "string"}}},
})

func TestOpenAISDKChatStreamingAndTools(t *testing.T) {
	base, _, _ := sdkGateway(t)
	c := openaiClient(base)
	ctx := context.Background()

	res, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "llama",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage("hello gateway")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Choices[0].Message.Content; got != "You said: hello gateway" || res.Usage.CompletionTokens != 4 {
		t.Fatalf("chat: %q usage %+v", got, res.Usage)
	}

	stream := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:    "llama",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("stream me")},
	})
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if got := acc.Choices[0].Message.Content; got != "You said: stream me" {
		t.Fatalf("stream: %q", got)
	}

	res, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "llama",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("weather in Oslo?")},
		Tools:    []openai.ChatCompletionToolUnionParam{weatherTool},
	})
	if err != nil {
		t.Fatal(err)
	}
	if tc := res.Choices[0].Message.ToolCalls; len(tc) != 1 || tc[0].Function.Name != "get_weather" || res.Choices[0].FinishReason != "tool_calls" {
		t.Fatalf("tool call: %+v", res.Choices[0])
	}

	stream = c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:    "llama",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("weather?")},
		Tools:    []openai.ChatCompletionToolUnionParam{weatherTool},
	})
	acc = openai.ChatCompletionAccumulator{}
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	tc := acc.Choices[0].Message.ToolCalls
	if len(tc) != 1 || tc[0].Function.Arguments != `{"city": "Oslo"}` {
		t.Fatalf("streamed tool call: %+v", acc.Choices[0].Message)
	}

	emb, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "llama", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x y")}})
	if err != nil || len(emb.Data) != 1 {
		t.Fatalf("embeddings: %v", err)
	}
	models, err := c.Models.List(ctx)
	if err != nil || len(models.Data) != 1 || models.Data[0].ID != "llama" {
		t.Fatalf("models: %v %+v", err, models)
	}
	_, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "gpt-nope", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
	var apiErr *openai.Error
	if !errorsAs(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "model_not_found" {
		t.Fatalf("want a typed 404, got %v", err)
	}
}

var anthTool = anth.ToolUnionParamOfTool(anth.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]string{"type": "string"}}}, "get_weather")

func TestAnthropicSDKThroughTranslation(t *testing.T) {
	base, up, rec := sdkGateway(t)
	c := anthropicClient(base)
	ctx := context.Background()

	msg, err := c.Messages.New(ctx, anth.MessageNewParams{
		Model:     "llama",
		MaxTokens: 100,
		System:    []anth.TextBlockParam{{Text: "be brief"}},
		Messages:  []anth.MessageParam{anth.NewUserMessage(anth.NewTextBlock("hello claude"), anth.NewImageBlockBase64("image/png", "iVBORw0KGgo="))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if msg.Content[0].Text != "You said: content parts" || msg.StopReason != anth.StopReasonEndTurn || msg.Usage.OutputTokens != 4 {
		t.Fatalf("message: %+v", msg)
	}
	_, sent := up.Last()
	if !strings.Contains(string(sent), `"image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}`) || !strings.Contains(string(sent), `"role":"system","content":"be brief"`) {
		t.Fatalf("translated request: %s", sent)
	}

	// Tool use, answered with a tool result, non-streaming then streaming.
	msg, err = c.Messages.New(ctx, anth.MessageNewParams{
		Model: "llama", MaxTokens: 100, Tools: []anth.ToolUnionParam{anthTool},
		ToolChoice: anth.ToolChoiceParamOfTool("get_weather"),
		Messages:   []anth.MessageParam{anth.NewUserMessage(anth.NewTextBlock("weather in Oslo?"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	tu := msg.Content[0].AsToolUse()
	if msg.StopReason != anth.StopReasonToolUse || tu.Name != "get_weather" || compact(tu.Input) != `{"city":"Oslo"}` {
		t.Fatalf("tool use: %+v", msg)
	}
	follow := []anth.MessageParam{
		anth.NewUserMessage(anth.NewTextBlock("weather in Oslo?")),
		msg.ToParam(),
		anth.NewUserMessage(anth.NewToolResultBlock(tu.ID, "cold", false)),
	}
	stream := c.Messages.NewStreaming(ctx, anth.MessageNewParams{Model: "llama", MaxTokens: 100, Messages: follow})
	var acc anth.Message
	var kinds []string
	for stream.Next() {
		ev := stream.Current()
		kinds = append(kinds, ev.Type)
		if err := acc.Accumulate(ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if acc.Content[0].Text != "You said: cold" || acc.StopReason != anth.StopReasonEndTurn || acc.Usage.OutputTokens != 3 {
		t.Fatalf("streamed: %+v (events %v)", acc, kinds)
	}
	// The SDK swallows ping events; anthropic.TestStreamEventSequence sees them.
	if strings.Join(kinds, " ") != "message_start content_block_start content_block_delta content_block_delta content_block_delta content_block_stop message_delta message_stop" {
		t.Fatalf("event sequence %v", kinds)
	}
	_, sent = up.Last()
	if !strings.Contains(string(sent), `"role":"tool","content":"cold","tool_call_id":"`+tu.ID+`"`) {
		t.Fatalf("tool_result not translated: %s", sent)
	}
	if c := rec.last(t); c.API != "anthropic" || c.CompletionTokens != 3 {
		t.Fatalf("usage not captured from translated stream: %+v", c)
	}

	stream = c.Messages.NewStreaming(ctx, anth.MessageNewParams{Model: "llama", MaxTokens: 100, Tools: []anth.ToolUnionParam{anthTool},
		Messages: []anth.MessageParam{anth.NewUserMessage(anth.NewTextBlock("weather?"))}})
	acc = anth.Message{}
	for stream.Next() {
		if err := acc.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if tu := acc.Content[0].AsToolUse(); acc.StopReason != anth.StopReasonToolUse || tu.Name != "get_weather" || compact(tu.Input) != `{"city":"Oslo"}` {
		t.Fatalf("streamed tool use: %+v", acc)
	}

	n, err := c.Messages.CountTokens(ctx, anth.MessageCountTokensParams{Model: "llama",
		Messages: []anth.MessageParam{anth.NewUserMessage(anth.NewTextBlock("one two three"))}})
	if err != nil || n.InputTokens != 4 { // the upstream's /tokenize: "user one two three"
		t.Fatalf("count_tokens via /tokenize: %v %+v", err, n)
	}

	_, err = c.Messages.New(ctx, anth.MessageNewParams{Model: "nope", MaxTokens: 1, Messages: []anth.MessageParam{anth.NewUserMessage(anth.NewTextBlock("x"))}})
	var aerr *anth.Error
	if !errorsAs(err, &aerr) || aerr.StatusCode != 404 || !strings.Contains(aerr.RawJSON(), `"type":"not_found_error"`) {
		t.Fatalf("want Anthropic-shaped 404, got %v", err)
	}
}

// TestAnthropicNativePassThrough: a backend that speaks Messages natively
// gets the request as sent, with anthropic-version and -beta, and its own key.
func TestAnthropicNativePassThrough(t *testing.T) {
	var mu sync.Mutex
	var got http.Header
	var body map[string]any
	native := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Header.Clone()
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"id":"msg_native","type":"message","role":"assistant","model":"claude-x","content":[{"type":"text","text":"native"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":1}}`))
	}))
	defer native.Close()
	gw, rec := gateway(t, fmt.Sprintf(`
models:
- name: claude
  deployments: [{url: %q, api: anthropic, model: claude-x, apiKeyEnv: NATIVE_KEY}]
`, native.URL), llmgateway.Deps{Getenv: func(k string) string { return map[string]string{"NATIVE_KEY": "upstream-secret"}[k] }})
	c := anthropicClient(gw.URL)
	msg, err := c.Messages.New(context.Background(), anth.MessageNewParams{Model: "claude", MaxTokens: 10,
		Messages: []anth.MessageParam{anth.NewUserMessage(anth.NewTextBlock("hi"))}},
		anthopt.WithHeader("anthropic-beta", "tools-2024-04-04"))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if msg.Content[0].Text != "native" || got.Get("x-api-key") != "upstream-secret" || got.Get("anthropic-version") == "" ||
		got.Get("anthropic-beta") != "tools-2024-04-04" || body["model"] != "claude-x" {
		t.Fatalf("pass-through: %+v headers %v body %v", msg, got, body)
	}
	if c := rec.last(t); c.PromptTokens != 5 || c.CompletionTokens != 1 {
		t.Fatalf("usage from native answer: %+v", c)
	}
}
