// Package config is the llm-gateway's configuration file: its types, strict
// loading, defaults and validation. Every error names the field and the fix.
package config

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"sigs.k8s.io/yaml"
)

// Mode selects which APIs the binary serves.
type Mode string

const (
	// ModeGateway serves the OpenAI-compatible API, the Anthropic Messages
	// API, tenancy and limits.
	ModeGateway Mode = "gateway"
	// ModeAnthropicAdapter serves only the Anthropic Messages API, forwarding
	// the client's credential to an OpenAI-compatible upstream (the gateway).
	ModeAnthropicAdapter Mode = "anthropic-adapter"
)

// API is the protocol a deployment speaks.
type API string

const (
	APIOpenAI    API = "openai"
	APIAnthropic API = "anthropic"
)

// Duration is a time.Duration written as "30s" in the file.
type Duration struct{ time.Duration }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"30s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// Config is the whole file.
type Config struct {
	Mode           Mode        `json:"mode,omitempty"`
	Listen         string      `json:"listen,omitempty"`
	AdminListen    string      `json:"adminListen,omitempty"`
	AdminTokenEnv  string      `json:"adminTokenEnv,omitempty"`
	RequestTimeout Duration    `json:"requestTimeout,omitempty"`
	Retries        *int        `json:"retries,omitempty"`
	Models         []Model     `json:"models"`
	Valkey         *Valkey     `json:"valkey,omitempty"`
	Limits         Limits      `json:"limits,omitempty"`
	Guardrails     *Guardrails `json:"guardrails,omitempty"`
	Langfuse       *Sink       `json:"langfuse,omitempty"`
	OpenMeter      *Sink       `json:"openmeter,omitempty"`
	Hooks          HookQueue   `json:"hooks,omitempty"`
	Tracing        *Tracing    `json:"tracing,omitempty"`
}

// Model is a public model name and the deployments that serve it.
type Model struct {
	// Name is what clients send; "*" matches any model not listed.
	Name        string       `json:"name"`
	Deployments []Deployment `json:"deployments"`
	// Fallbacks are other model names tried, in order, when every
	// deployment of this one failed with a retryable error.
	Fallbacks []string `json:"fallbacks,omitempty"`
	Timeout   Duration `json:"timeout,omitempty"`
	Price     Price    `json:"price,omitempty"`
}

// Deployment is one upstream serving a model.
type Deployment struct {
	// URL is the server root (http://vllm:8000), without /v1.
	URL string `json:"url"`
	// Weight is relative; unset means 1, 0 drains the deployment (used
	// only when every weighted one failed).
	Weight *int `json:"weight,omitempty"`
	// Model is the name the upstream knows the model by; defaults to the
	// public name.
	Model string `json:"model,omitempty"`
	API   API    `json:"api,omitempty"`
	// APIKeyEnv names the environment variable holding the upstream's key.
	APIKeyEnv string `json:"apiKeyEnv,omitempty"`
	// ForwardAuth sends the client's own credential upstream instead.
	ForwardAuth bool `json:"forwardAuth,omitempty"`
	// Tokenize says the upstream has vLLM's /tokenize endpoint.
	Tokenize bool `json:"tokenize,omitempty"`
}

// Price is USD per million tokens; budgets are kept in micro-USD.
type Price struct {
	InputPerMTok  float64 `json:"inputPerMTok,omitempty"`
	OutputPerMTok float64 `json:"outputPerMTok,omitempty"`
}

type Valkey struct {
	Addr        string `json:"addr"`
	PasswordEnv string `json:"passwordEnv,omitempty"`
	DB          int    `json:"db,omitempty"`
}

type Limits struct {
	// Enabled turns on virtual keys, allow-lists, RPM/TPM and budgets.
	Enabled bool `json:"enabled,omitempty"`
	// DefaultMaxTokens is reserved for the completion when a request sets
	// no max_tokens.
	DefaultMaxTokens int `json:"defaultMaxTokens,omitempty"`
	// PromptBytesPerToken bounds prompt tokens from the body size before the
	// call. 1 never under-reserves with byte-level BPE tokenizers.
	PromptBytesPerToken int `json:"promptBytesPerToken,omitempty"`
	// KeyCacheTTL is how long a key's record is cached in-process.
	KeyCacheTTL Duration `json:"keyCacheTTL,omitempty"`
}

type Guardrails struct {
	URL      string   `json:"url"`
	Config   string   `json:"configId,omitempty"`
	FailOpen bool     `json:"failOpen,omitempty"`
	Timeout  Duration `json:"timeout,omitempty"`
	Output   bool     `json:"output,omitempty"`
}

// Sink is an HTTP ingestion endpoint with credentials from the environment.
type Sink struct {
	URL string `json:"url"`
	// For LangFuse: public and secret key (basic auth). For OpenMeter: a
	// bearer token in SecretKeyEnv.
	PublicKeyEnv string `json:"publicKeyEnv,omitempty"`
	SecretKeyEnv string `json:"secretKeyEnv,omitempty"`
}

type HookQueue struct {
	QueueSize     int      `json:"queueSize,omitempty"`
	BatchSize     int      `json:"batchSize,omitempty"`
	FlushInterval Duration `json:"flushInterval,omitempty"`
}

type Tracing struct {
	// Endpoint is an OTLP/HTTP traces URL (http://otel-collector:4318).
	Endpoint string `json:"endpoint"`
}

// Load reads, defaults and validates a config file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return c, nil
}

// Parse is Load without the file.
func Parse(b []byte) (*Config, error) {
	var c Config
	if err := yaml.UnmarshalStrict(b, &c); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	c.Default()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Default fills unset fields.
func (c *Config) Default() {
	if c.Mode == "" {
		c.Mode = ModeGateway
	}
	if c.Listen == "" {
		c.Listen = ":8080"
	}
	if c.AdminListen == "" {
		c.AdminListen = ":9090"
	}
	if c.RequestTimeout.Duration == 0 {
		c.RequestTimeout.Duration = 10 * time.Minute
	}
	if c.Retries == nil {
		two := 2
		c.Retries = &two
	}
	if c.Limits.DefaultMaxTokens == 0 {
		c.Limits.DefaultMaxTokens = 4096
	}
	if c.Limits.PromptBytesPerToken == 0 {
		c.Limits.PromptBytesPerToken = 1
	}
	if c.Limits.KeyCacheTTL.Duration == 0 {
		c.Limits.KeyCacheTTL.Duration = 5 * time.Second
	}
	if c.Hooks.QueueSize == 0 {
		c.Hooks.QueueSize = 10000
	}
	if c.Hooks.BatchSize == 0 {
		c.Hooks.BatchSize = 100
	}
	if c.Hooks.FlushInterval.Duration == 0 {
		c.Hooks.FlushInterval.Duration = time.Second
	}
	if c.Guardrails != nil && c.Guardrails.Timeout.Duration == 0 {
		c.Guardrails.Timeout.Duration = 5 * time.Second
	}
	for i := range c.Models {
		m := &c.Models[i]
		for j := range m.Deployments {
			d := &m.Deployments[j]
			if d.Weight == nil {
				one := 1
				d.Weight = &one
			}
			if d.API == "" {
				d.API = APIOpenAI
			}
			if d.Model == "" && m.Name != "*" {
				d.Model = m.Name
			}
			d.URL = strings.TrimRight(d.URL, "/")
		}
	}
}

// Validate returns every problem found, each naming its field.
func (c *Config) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, a...)))
	}
	if c.Mode != ModeGateway && c.Mode != ModeAnthropicAdapter {
		bad("mode", "%q is not one of gateway, anthropic-adapter", c.Mode)
	}
	if *c.Retries < 0 || *c.Retries > 10 {
		bad("retries", "%d is outside 0..10", *c.Retries)
	}
	if len(c.Models) == 0 {
		bad("models", "at least one model is required")
	}
	names := map[string]bool{}
	for i, m := range c.Models {
		f := fmt.Sprintf("models[%d]", i)
		if m.Name == "" {
			bad(f+".name", "required")
		}
		if names[m.Name] {
			bad(f+".name", "%q is listed twice; merge the deployments into one entry", m.Name)
		}
		names[m.Name] = true
		if len(m.Deployments) == 0 {
			bad(f+".deployments", "at least one deployment is required")
		}
		if m.Price.InputPerMTok < 0 || m.Price.OutputPerMTok < 0 {
			bad(f+".price", "prices cannot be negative")
		}
		for j, d := range m.Deployments {
			df := fmt.Sprintf("%s.deployments[%d]", f, j)
			if u, err := url.Parse(d.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				bad(df+".url", "%q is not an http(s) URL such as http://vllm:8000", d.URL)
			} else if strings.HasSuffix(u.Path, "/v1") {
				bad(df+".url", "%q ends in /v1; give the server root, the gateway appends /v1/...", d.URL)
			}
			if d.Weight != nil && *d.Weight < 0 {
				bad(df+".weight", "%d is negative", *d.Weight)
			}
			if d.API != APIOpenAI && d.API != APIAnthropic {
				bad(df+".api", "%q is not one of openai, anthropic", d.API)
			}
			if d.APIKeyEnv != "" && d.ForwardAuth {
				bad(df+".apiKeyEnv", "set either apiKeyEnv or forwardAuth, not both")
			}
		}
	}
	for i, m := range c.Models {
		for j, fb := range m.Fallbacks {
			if !names[fb] || fb == m.Name {
				bad(fmt.Sprintf("models[%d].fallbacks[%d]", i, j), "%q is not another model listed under models", fb)
			}
		}
	}
	if c.Limits.Enabled && c.Mode != ModeAnthropicAdapter && (c.Valkey == nil || c.Valkey.Addr == "") {
		bad("valkey.addr", "required when limits.enabled is true (host:port of Valkey)")
	}
	if c.Limits.DefaultMaxTokens < 1 {
		bad("limits.defaultMaxTokens", "must be positive")
	}
	if c.Limits.PromptBytesPerToken < 1 {
		bad("limits.promptBytesPerToken", "must be positive")
	}
	if c.Guardrails != nil && c.Guardrails.URL == "" {
		bad("guardrails.url", "required (NeMo Guardrails server root, e.g. http://nemo-guardrails:8000)")
	}
	if c.Langfuse != nil && (c.Langfuse.URL == "" || c.Langfuse.PublicKeyEnv == "" || c.Langfuse.SecretKeyEnv == "") {
		bad("langfuse", "url, publicKeyEnv and secretKeyEnv are all required")
	}
	if c.OpenMeter != nil && c.OpenMeter.URL == "" {
		bad("openmeter.url", "required")
	}
	if c.Hooks.QueueSize < 1 || c.Hooks.BatchSize < 1 {
		bad("hooks", "queueSize and batchSize must be positive")
	}
	return errors.Join(errs...)
}

// Model returns the entry for a public name, falling back to "*".
func (c *Config) Model(name string) (*Model, bool) {
	var star *Model
	for i := range c.Models {
		switch c.Models[i].Name {
		case name:
			return &c.Models[i], true
		case "*":
			star = &c.Models[i]
		}
	}
	return star, star != nil
}
