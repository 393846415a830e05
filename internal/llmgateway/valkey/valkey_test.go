package valkey_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/openova-io/openova/internal/llmgateway"
	"github.com/openova-io/openova/internal/llmgateway/config"
	"github.com/openova-io/openova/internal/llmgateway/keys"
	"github.com/openova-io/openova/internal/llmgateway/quota"
	"github.com/openova-io/openova/internal/llmgateway/testupstream"
	"github.com/openova-io/openova/internal/llmgateway/valkey"
	"github.com/openova-io/openova/internal/valkeytest"
)

// A fixed clock: the whole test runs inside one minute window.
var now = time.Date(2026, 11, 25, 12, 0, 30, 0, time.UTC)

func setup(t *testing.T, price string) (*redis.Client, string, *testupstream.Server) {
	t.Helper()
	rdb := valkeytest.Start(t)
	up := testupstream.New("u")
	t.Cleanup(up.Close)
	c, err := config.Parse([]byte(fmt.Sprintf(`
limits: {enabled: true, defaultMaxTokens: 50}
valkey: {addr: unused}
models:
- name: m
  deployments: [{url: %q}]
  price: %s
- name: other
  deployments: [{url: %q}]
`, up.URL, price, up.URL)))
	if err != nil {
		t.Fatal(err)
	}
	ten := valkey.New(rdb, func() time.Time { return now }, time.Minute)
	gw := httptest.NewServer(llmgateway.New(c, llmgateway.Deps{Tenancy: ten, Log: slog.New(slog.DiscardHandler), Now: func() time.Time { return now }}).Handler())
	t.Cleanup(gw.Close)
	return rdb, gw.URL, up
}

func newKey(t *testing.T, rdb *redis.Client, models []string, l quota.Limits) (string, keys.Record) {
	t.Helper()
	key, rec, err := keys.Generate(rand.Reader, "payments", models, l, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := valkey.Put(context.Background(), rdb, &rec); err != nil {
		t.Fatal(err)
	}
	return key, rec
}

func chat(t *testing.T, url, key, body string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(b)
}

func TestKeysAllowListAndRPM(t *testing.T) {
	rdb, gw, _ := setup(t, "{}")
	key, rec := newKey(t, rdb, []string{"m"}, quota.Limits{RPM: 2})
	body := `{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`

	if resp, b := chat(t, gw, "", body); resp.StatusCode != 401 || !strings.Contains(b, "missing_api_key") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	if resp, b := chat(t, gw, "sk-oo-forged", body); resp.StatusCode != 401 || strings.Contains(b, "forged") {
		t.Fatalf("%d %s (the key must not be echoed)", resp.StatusCode, b)
	}
	if resp, b := chat(t, gw, key, strings.Replace(body, `"m"`, `"other"`, 1)); resp.StatusCode != 403 || !strings.Contains(b, "model_not_allowed") {
		t.Fatalf("%d %s", resp.StatusCode, b)
	}
	for i := 0; i < 2; i++ {
		if resp, b := chat(t, gw, key, body); resp.StatusCode != 200 {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
	}
	resp, b := chat(t, gw, key, body)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "30" || !strings.Contains(b, "rpm_exceeded") {
		t.Fatalf("want 429 Retry-After 30 (seconds to the minute's end): %d %q %s", resp.StatusCode, resp.Header.Get("Retry-After"), b)
	}
	// The record at rest holds the hash, never the key.
	raw, _ := rdb.Get(context.Background(), "llmgw:key:"+rec.ID).Result()
	if strings.Contains(raw, key) || !strings.Contains(raw, keys.Hash(key)) {
		t.Fatal("key stored in clear, or hash missing")
	}
	u := settled(t, rdb, rec.ID, 2)
	if u.Requests != 2 || u.Tokens != 2*(2+3) {
		t.Fatalf("usage %+v", u)
	}
}

// TestConcurrentStreamsNeverOvershoot: 60 concurrent streams against a TPM
// limit that fits only some of them. Admitted calls' actual tokens must
// stay within the limit and the settled counter must equal their sum.
func TestConcurrentStreamsNeverOvershoot(t *testing.T) {
	rdb, gw, up := setup(t, "{}")
	up.ChunkDelay = 2 * time.Millisecond
	const tpm = 3000
	key, rec := newKey(t, rdb, nil, quota.Limits{TPM: tpm})
	// No max_tokens: the configured default (50) is reserved.
	body := `{"model":"m","stream":true,"messages":[{"role":"user","content":"` + strings.Repeat("word ", 20) + `"}]}`
	var ok, refused, used atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 60; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest(http.MethodPost, gw+"/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
			switch resp.StatusCode {
			case 200:
				ok.Add(1)
				used.Add(21 + 22) // the upstream counts words: "user" + 20 prompt, "You said:" + 20 completion
			case 429:
				refused.Add(1)
				if resp.Header.Get("Retry-After") == "" {
					t.Error("429 without Retry-After")
				}
			default:
				t.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	if ok.Load() == 0 || refused.Load() == 0 {
		t.Fatalf("the limit should admit some and refuse some: ok=%d refused=%d", ok.Load(), refused.Load())
	}
	if used.Load() > tpm {
		t.Fatalf("overshoot: %d tokens used against a TPM of %d", used.Load(), tpm)
	}
	u := settled(t, rdb, rec.ID, ok.Load())
	got, _ := rdb.Get(context.Background(), "llmgw:tpm:"+rec.ID+":2026-11-25T12:00").Int64()
	if got != used.Load() || u.Tokens != used.Load() {
		t.Fatalf("reconciled counter %d and monthly usage %d must equal actual use %d", got, u.Tokens, used.Load())
	}
}

func TestConcurrentBudgetNeverOvershoots(t *testing.T) {
	// 1 USD per million tokens both ways: 1 micro-USD per token.
	rdb, gw, _ := setup(t, "{inputPerMTok: 1, outputPerMTok: 1}")
	const budget = 2000
	key, rec := newKey(t, rdb, nil, quota.Limits{MonthlyBudget: budget})
	body := `{"model":"m","max_tokens":40,"messages":[{"role":"user","content":"a b c d e f g h"}]}`
	var ok, refused atomic.Int64
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := chat(t, gw, key, body)
			switch resp.StatusCode {
			case 200:
				ok.Add(1)
			case 429:
				refused.Add(1)
				if ra, _ := strconv.Atoi(resp.Header.Get("Retry-After")); ra < 86400 {
					t.Errorf("budget Retry-After should point at the month's end, got %d", ra)
				}
			}
		}()
	}
	wg.Wait()
	u := settled(t, rdb, rec.ID, ok.Load())
	if refused.Load() == 0 || u.SpentMicroUSD > budget || u.SpentMicroUSD != ok.Load()*(9+10) {
		t.Fatalf("ok=%d refused=%d spent=%d budget=%d", ok.Load(), refused.Load(), u.SpentMicroUSD, budget)
	}
}

// settled waits until n calls were settled: the gateway answers the client
// first and reconciles after.
func settled(t *testing.T, rdb *redis.Client, id string, n int64) valkey.Usage {
	t.Helper()
	for i := 0; ; i++ {
		u, err := valkey.UsageOf(context.Background(), rdb, id, "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		if u.Requests >= n || i > 500 {
			return u
		}
		time.Sleep(5 * time.Millisecond)
	}
}
