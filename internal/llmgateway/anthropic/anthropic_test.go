package anthropic

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestToOpenAITranslatesEveryBlockKind(t *testing.T) {
	r, err := ParseRequest([]byte(`{
 "model":"claude-local","max_tokens":100,
 "system":[{"type":"text","text":"be brief"},{"type":"text","text":"be kind"}],
 "stop_sequences":["END"],"stream":true,"top_k":5,
 "metadata":{"user_id":"u1"},
 "tools":[{"name":"weather","description":"get weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
 "tool_choice":{"type":"any","disable_parallel_tool_use":true},
 "messages":[
  {"role":"user","content":[{"type":"text","text":"look"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAA"}}]},
  {"role":"assistant","content":[{"type":"text","text":"calling"},{"type":"tool_use","id":"t1","name":"weather","input":{"city":"Oslo"}}]},
  {"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"cold"}],"is_error":false},{"type":"text","text":"and?"}]}
 ]}`))
	if err != nil {
		t.Fatal(err)
	}
	c, err := ToOpenAI(r, "llama")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(c)
	want := `{"model":"llama","messages":[` +
		`{"role":"system","content":"be brief\nbe kind"},` +
		`{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAA"}}]},` +
		`{"role":"assistant","content":"calling","tool_calls":[{"id":"t1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Oslo\"}"}}]},` +
		`{"role":"tool","content":"cold","tool_call_id":"t1"},` +
		`{"role":"user","content":"and?"}],` +
		`"max_tokens":100,"top_k":5,"stop":["END"],"stream":true,"stream_options":{"include_usage":true},` +
		`"tools":[{"type":"function","function":{"name":"weather","description":"get weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],` +
		`"tool_choice":"required","parallel_tool_calls":false,"user":"u1"}`
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestToOpenAIErrorsNameTheField(t *testing.T) {
	for body, field := range map[string]string{
		`{"model":"m","messages":[{"role":"system","content":"x"}]}`:                                       "messages[0].role",
		`{"model":"m","messages":[{"role":"user","content":[{"type":"image","source":{"type":"file"}}]}]}`: "messages[0].content[0].source.type",
		`{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"tool"}}`:           "tool_choice.name",
		`{"model":"m","messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]}`:      "messages[0].content[0].tool_use_id",
		`{"model":"m","messages":[]}`: "messages",
	} {
		r, err := ParseRequest([]byte(body))
		if err == nil {
			_, err = ToOpenAI(r, "m")
		}
		if err == nil || !strings.HasPrefix(err.Error(), field+":") {
			t.Errorf("%s: want error on %s, got %v", body, field, err)
		}
	}
}

func TestFromOpenAI(t *testing.T) {
	var c ChatResponse
	_ = json.Unmarshal([]byte(`{"id":"x","choices":[{"index":0,"message":{"role":"assistant","content":"hi","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":7,"completion_tokens":3,"total_tokens":10}}`), &c)
	r := FromOpenAI(&c, &MessagesRequest{Model: "pub"}, "msg_1")
	got, _ := json.Marshal(r)
	want := `{"id":"msg_1","type":"message","role":"assistant","model":"pub","content":[{"type":"text","text":"hi"},{"type":"tool_use","id":"c1","name":"f","input":{"a":1}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":7,"output_tokens":3}}`
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestStopReason(t *testing.T) {
	cases := []struct {
		finish string
		vllm   any
		want   string
		seq    string
	}{
		{"stop", nil, "end_turn", ""},
		{"stop", "END", "stop_sequence", "END"},
		{"stop", float64(2), "end_turn", ""},
		{"length", nil, "max_tokens", ""},
		{"tool_calls", nil, "tool_use", ""},
		{"content_filter", nil, "refusal", ""},
	}
	for _, c := range cases {
		got, seq := StopReason(c.finish, c.vllm, []string{"END"})
		if got != c.want || (seq == nil) != (c.seq == "") || (seq != nil && *seq != c.seq) {
			t.Errorf("StopReason(%q,%v) = %q,%v", c.finish, c.vllm, got, seq)
		}
		if c.want != "stop_sequence" && FinishReason(got) != map[string]string{"end_turn": "stop", "max_tokens": "length", "tool_use": "tool_calls", "refusal": "content_filter"}[got] {
			t.Errorf("FinishReason(%q) does not invert", got)
		}
	}
}

func TestStreamEventSequence(t *testing.T) {
	s := NewStream(&MessagesRequest{Model: "pub"}, "msg_1", 0)
	var names []string
	feed := func(data string) {
		evs, err := s.Chunk([]byte(data))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			names = append(names, e.Name)
			if e.Name == "content_block_delta" && !json.Valid(e.Data) {
				t.Fatalf("invalid JSON %s", e.Data)
			}
		}
	}
	feed(`{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`)
	feed(`{"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}`)
	feed(`{"choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}`)
	feed(`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"f","arguments":""}}]}}]}`)
	feed(`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]}}]}`)
	feed(`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]}}]}`)
	feed(`{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`)
	feed(`{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}`)
	feed(`[DONE]`)
	want := "message_start ping content_block_start content_block_delta content_block_delta content_block_stop " +
		"content_block_start content_block_delta content_block_delta content_block_stop message_delta message_stop"
	if strings.Join(names, " ") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(names, " "), want)
	}
	if u := s.Usage(); u.InputTokens != 9 || u.OutputTokens != 4 {
		t.Fatalf("usage %+v", u)
	}
	if s.Finish() != nil {
		t.Fatal("Finish must be idempotent")
	}
}
