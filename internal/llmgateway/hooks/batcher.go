// Package hooks connects the gateway to NeMo Guardrails (synchronous input
// and output checks), LangFuse and OpenMeter (asynchronous, batched).
package hooks

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Batcher queues items in a bounded channel and sends them in batches from
// one goroutine. Offer never blocks a request: when the queue is full the
// item is dropped and counted.
type Batcher[T any] struct {
	name     string
	ch       chan T
	size     int
	interval time.Duration
	send     func(context.Context, []T) error

	Dropped atomic.Int64
	Sent    atomic.Int64
	Failed  atomic.Int64
	done    chan struct{}
}

// NewBatcher makes a queue of queueSize items sent batchSize at a time, or
// every interval when fewer are waiting.
func NewBatcher[T any](name string, queueSize, batchSize int, interval time.Duration, send func(context.Context, []T) error) *Batcher[T] {
	return &Batcher[T]{name: name, ch: make(chan T, queueSize), size: batchSize, interval: interval, send: send, done: make(chan struct{})}
}

// Offer enqueues v or drops it; it reports whether v was queued.
func (b *Batcher[T]) Offer(v T) bool {
	select {
	case b.ch <- v:
		return true
	default:
		b.Dropped.Add(1)
		return false
	}
}

// Run sends batches until ctx ends, then flushes what is queued (bounded by
// a few seconds) and returns.
func (b *Batcher[T]) Run(ctx context.Context) {
	defer close(b.done)
	t := time.NewTicker(b.interval)
	defer t.Stop()
	batch := make([]T, 0, b.size)
	flush := func(ctx context.Context) {
		if len(batch) == 0 {
			return
		}
		if err := b.send(ctx, batch); err != nil {
			b.Failed.Add(int64(len(batch)))
		} else {
			b.Sent.Add(int64(len(batch)))
		}
		batch = batch[:0]
	}
	for {
		select {
		case v := <-b.ch:
			batch = append(batch, v)
			if len(batch) >= b.size {
				flush(ctx)
			}
		case <-t.C:
			flush(ctx)
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			for {
				select {
				case v := <-b.ch:
					batch = append(batch, v)
					if len(batch) >= b.size {
						flush(fctx)
					}
				default:
					flush(fctx)
					return
				}
			}
		}
	}
}

// Done is closed when Run has returned.
func (b *Batcher[T]) Done() <-chan struct{} { return b.done }

// Collectors exposes the counters as Prometheus series.
func (b *Batcher[T]) Collectors() []prometheus.Collector {
	l := prometheus.Labels{"sink": b.name}
	return []prometheus.Collector{
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "llmgateway_hook_dropped_total", Help: "Events dropped because the hook queue was full.", ConstLabels: l}, func() float64 { return float64(b.Dropped.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "llmgateway_hook_sent_total", Help: "Events delivered to the sink.", ConstLabels: l}, func() float64 { return float64(b.Sent.Load()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "llmgateway_hook_failed_total", Help: "Events the sink refused or could not be reached for.", ConstLabels: l}, func() float64 { return float64(b.Failed.Load()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "llmgateway_hook_queue_length", Help: "Events waiting to be sent.", ConstLabels: l}, func() float64 { return float64(len(b.ch)) }),
	}
}
