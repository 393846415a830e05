package llmgateway

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the gateway's Prometheus series.
type Metrics struct {
	Requests *prometheus.CounterVec   // model, api, status
	Attempts *prometheus.CounterVec   // model, deployment, outcome
	Duration *prometheus.HistogramVec // model, api
	Tokens   *prometheus.CounterVec   // model, kind (prompt, completion)
	Rejected *prometheus.CounterVec   // reason
}

// NewMetrics registers on reg (nil: unregistered, for tests).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "llmgateway_requests_total", Help: "Requests answered, by public model, API and HTTP status."}, []string{"model", "api", "status"}),
		Attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "llmgateway_upstream_attempts_total", Help: "Upstream calls, by model, deployment URL and outcome (ok, retryable, error)."}, []string{"model", "deployment", "outcome"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "llmgateway_request_duration_seconds", Help: "Time from request to last byte.", Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 12)}, []string{"model", "api"}),
		Tokens:   prometheus.NewCounterVec(prometheus.CounterOpts{Name: "llmgateway_tokens_total", Help: "Tokens reported by upstreams, by model and kind (prompt, completion)."}, []string{"model", "kind"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "llmgateway_rejected_total", Help: "Requests refused before any upstream call, by reason."}, []string{"reason"}),
	}
	if reg != nil {
		reg.MustRegister(m.Requests, m.Attempts, m.Duration, m.Tokens, m.Rejected)
	}
	return m
}
