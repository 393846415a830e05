package controller

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/openova-io/openova/internal/failover/fsm"
)

// Metrics are the controller's Prometheus metrics.
type Metrics struct {
	state       *prometheus.GaugeVec
	epoch       prometheus.Gauge
	deadline    prometheus.Gauge
	transitions *prometheus.CounterVec
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	actuations  *prometheus.CounterVec
	lag         prometheus.Gauge
}

// NewMetrics registers the metrics with reg (nil: a private registry).
func NewMetrics(reg prometheus.Registerer) *Metrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &Metrics{
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "openova_failover_state",
			Help: "1 for the controller's current state."}, []string{"state"}),
		epoch: prometheus.NewGauge(prometheus.GaugeOpts{Name: "openova_failover_epoch",
			Help: "Epoch held, or the highest seen."}),
		deadline: prometheus.NewGauge(prometheus.GaugeOpts{Name: "openova_failover_deadline_seconds",
			Help: "Seconds until the holder fences unless a renewal succeeds; 0 when not holding."}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "openova_failover_transitions_total",
			Help: "State transitions by target state."}, []string{"to"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "openova_failover_witness_requests_total",
			Help: "Witness requests by operation and outcome."}, []string{"op", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "openova_failover_witness_request_seconds",
			Help: "Witness request latency.", Buckets: prometheus.ExponentialBuckets(0.005, 2, 12)}, []string{"op"}),
		actuations: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "openova_failover_actuations_total",
			Help: "Actuator calls by operation and outcome."}, []string{"op", "outcome"}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "openova_failover_replication_lag_seconds",
			Help: "Worst replication lag of the lag sources, as the RPO guard sees it; -1 when unknown."}),
	}
	reg.MustRegister(m.state, m.epoch, m.deadline, m.transitions, m.requests, m.latency, m.actuations, m.lag)
	return m
}

func (m *Metrics) observe(st fsm.Status, now time.Duration) {
	for s := fsm.Standby; s <= fsm.Fenced; s++ {
		v := 0.0
		if s == st.State {
			v = 1
		}
		m.state.WithLabelValues(s.String()).Set(v)
	}
	m.epoch.Set(float64(st.Epoch))
	left := 0.0
	if st.State.Holding() {
		left = (st.Deadline - now).Seconds()
	}
	m.deadline.Set(left)
	lag := -1.0 // st.Lag is negative when unknown
	if st.Lag >= 0 {
		lag = st.Lag.Seconds()
	}
	m.lag.Set(lag)
}
