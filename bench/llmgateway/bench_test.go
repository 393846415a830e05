// Package llmgateway_bench measures what the gateway adds: the same
// vLLM-like upstream (internal/llmgateway/testupstream, answering at once)
// is called directly and through the gateway, with limits off and on (a
// real redis-server), in one run:
//
//	go test -run '^$' -bench . -benchtime 5s ./bench/llmgateway
//
// Latency benchmarks call one request at a time and report p50/p99 in µs;
// throughput benchmarks run 64 concurrent clients and report req/s. Client,
// gateway, upstream and Valkey share the machine's cores, as in a sidecar-
// less single-node test; on a real cluster they would not.
package llmgateway_bench

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/llmgateway"
	"github.com/openova-io/openova/internal/llmgateway/config"
	"github.com/openova-io/openova/internal/llmgateway/keys"
	"github.com/openova-io/openova/internal/llmgateway/quota"
	"github.com/openova-io/openova/internal/llmgateway/testupstream"
	"github.com/openova-io/openova/internal/llmgateway/valkey"
	"github.com/openova-io/openova/internal/valkeytest"
)

var body = []byte(`{"model":"llama","max_tokens":16,"messages":[{"role":"user","content":"What is the capital of Norway?"}]}`)

type target struct {
	name, url, key string
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024}}

func targets(b *testing.B) []target {
	up := testupstream.New("llama")
	b.Cleanup(up.Close)
	yaml := fmt.Sprintf("models:\n- name: llama\n  deployments: [{url: %q}]\n", up.URL)
	off, err := config.Parse([]byte(yaml))
	if err != nil {
		b.Fatal(err)
	}
	quiet := slog.New(slog.DiscardHandler)
	gwOff := httptest.NewServer(llmgateway.New(off, llmgateway.Deps{Log: quiet}).Handler())
	b.Cleanup(gwOff.Close)

	rdb := valkeytest.Start(b)
	on, err := config.Parse([]byte("limits: {enabled: true}\nvalkey: {addr: " + rdb.Options().Addr + "}\n" + yaml))
	if err != nil {
		b.Fatal(err)
	}
	key, rec, _ := keys.Generate(rand.Reader, "bench", nil, quota.Limits{RPM: 1 << 40, TPM: 1 << 50, MonthlyBudget: 1 << 50}, time.Now())
	if err := valkey.Put(b.Context(), rdb, &rec); err != nil {
		b.Fatal(err)
	}
	ten := valkey.New(rdb, time.Now, on.Limits.KeyCacheTTL.Duration)
	gwOn := httptest.NewServer(llmgateway.New(on, llmgateway.Deps{Log: quiet, Tenancy: ten}).Handler())
	b.Cleanup(gwOn.Close)
	return []target{{"direct", up.URL, ""}, {"gateway", gwOff.URL, ""}, {"gateway+limits", gwOn.URL, key}}
}

func call(b *testing.B, t target) {
	req, _ := http.NewRequest(http.MethodPost, t.url+"/v1/chat/completions", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if t.key != "" {
		req.Header.Set("Authorization", "Bearer "+t.key)
	}
	resp, err := client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		b.Fatalf("%s: status %d", t.name, resp.StatusCode)
	}
}

func pct(d []time.Duration, p float64) float64 {
	slices.Sort(d)
	return float64(d[int(float64(len(d)-1)*p)].Nanoseconds()) / 1e3
}

func BenchmarkLatency(b *testing.B) {
	for _, t := range targets(b) {
		b.Run(t.name, func(b *testing.B) {
			for range 200 {
				call(b, t) // warm connections and caches
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				call(b, t)
				lat = append(lat, time.Since(start))
			}
			b.ReportMetric(pct(lat, 0.50), "p50-µs")
			b.ReportMetric(pct(lat, 0.99), "p99-µs")
		})
	}
}

func BenchmarkThroughput(b *testing.B) {
	for _, t := range targets(b) {
		b.Run(t.name, func(b *testing.B) {
			var mu sync.Mutex
			n := 0
			b.SetParallelism(32) // × GOMAXPROCS (2 here) = 64 concurrent clients
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				k := 0
				for pb.Next() {
					call(b, t)
					k++
				}
				mu.Lock()
				n += k
				mu.Unlock()
			})
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "req/s")
		})
	}
}
