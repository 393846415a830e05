package witness

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/openova-io/openova/internal/lease"
)

type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	syncs    prometheus.Histogram
}

// newMetrics registers the witness's metrics on reg. Lease state is
// collected at scrape time (leaseCollector) so it is judged by the witness
// clock then, like every answer.
func newMetrics(reg prometheus.Registerer, s *Server) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "openova_witness_requests_total",
			Help: "Protocol requests by operation and result (an outcome or an error code).",
		}, []string{"op", "result"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "openova_witness_request_duration_seconds",
			Help:    "Time to answer a protocol request, including the fsync of a write.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}, []string{"op"}),
		syncs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "openova_witness_storage_write_duration_seconds",
			Help:    "Time to commit and fsync one write to the witness database.",
			Buckets: prometheus.ExponentialBuckets(0.0002, 2, 14),
		}),
	}
	reg.MustRegister(m.requests, m.duration, m.syncs, leaseCollector{s},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

var (
	descEpoch = prometheus.NewDesc("openova_witness_lease_epoch",
		"Epoch of the latest grant of the lease.", []string{"lease"}, nil)
	descHeld = prometheus.NewDesc("openova_witness_lease_held",
		"1 if the lease is held now, by the holder in the label.", []string{"lease", "holder"}, nil)
	descRemaining = prometheus.NewDesc("openova_witness_lease_remaining_seconds",
		"How long the lease is still held (0 when not held).", []string{"lease"}, nil)
	descClock = prometheus.NewDesc("openova_witness_clock_seconds",
		"The witness clock, which never goes back, even across restarts.", nil, nil)
)

type leaseCollector struct{ s *Server }

func (c leaseCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descEpoch
	ch <- descHeld
	ch <- descRemaining
	ch <- descClock
}

func (c leaseCollector) Collect(ch chan<- prometheus.Metric) {
	leases, now := c.s.snapshot()
	ch <- prometheus.MustNewConstMetric(descClock, prometheus.GaugeValue, now.Seconds())
	for _, l := range leases {
		held := 0.0
		if l.StatusAt(now) == lease.StatusHeld {
			held = 1
		}
		ch <- prometheus.MustNewConstMetric(descEpoch, prometheus.GaugeValue, float64(l.Epoch), l.Name)
		ch <- prometheus.MustNewConstMetric(descHeld, prometheus.GaugeValue, held, l.Name, l.Holder)
		ch <- prometheus.MustNewConstMetric(descRemaining, prometheus.GaugeValue, l.RemainingAt(now).Seconds(), l.Name)
	}
}
