package config

import (
	"strings"
	"testing"
)

func TestParseDefaults(t *testing.T) {
	c, err := Parse([]byte(`
models:
- name: llama
  deployments: [{url: "http://vllm:8000/"}]
`))
	if err != nil {
		t.Fatal(err)
	}
	d := c.Models[0].Deployments[0]
	if d.URL != "http://vllm:8000" || *d.Weight != 1 || d.API != APIOpenAI || d.Model != "llama" {
		t.Fatalf("defaults not applied: %+v", d)
	}
	if *c.Retries != 2 || c.Limits.DefaultMaxTokens != 4096 || c.Mode != ModeGateway {
		t.Fatalf("defaults not applied: %+v", c)
	}
}

func TestValidateNamesFields(t *testing.T) {
	_, err := Parse([]byte(`
mode: proxy
retries: 11
limits: {enabled: true}
models:
- name: a
  deployments: [{url: "vllm:8000"}, {url: "http://x/v1", api: grpc}]
  fallbacks: [nope]
- name: a
  deployments: []
`))
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{
		`mode: "proxy" is not one of`,
		"retries: 11",
		"models[0].deployments[0].url",
		"models[0].deployments[1].url: \"http://x/v1\" ends in /v1",
		"models[0].deployments[1].api",
		"models[0].fallbacks[0]",
		"models[1].name: \"a\" is listed twice",
		"models[1].deployments: at least one",
		"valkey.addr: required when limits.enabled",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestUnknownFieldRejected(t *testing.T) {
	_, err := Parse([]byte("modles: []\n"))
	if err == nil || !strings.Contains(err.Error(), "modles") {
		t.Fatalf("want unknown field named, got %v", err)
	}
}

func TestWildcardModel(t *testing.T) {
	c, err := Parse([]byte(`
models:
- name: "*"
  deployments: [{url: "http://gw", forwardAuth: true}]
- name: exact
  deployments: [{url: "http://e"}]
`))
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := c.Model("exact"); !ok || m.Name != "exact" {
		t.Fatal("exact name must win")
	}
	if m, ok := c.Model("other"); !ok || m.Name != "*" {
		t.Fatal("wildcard must catch the rest")
	}
}
