package witness_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/lease"
)

// BenchmarkRenew measures renewals end to end over loopback HTTP, each one
// an fsynced bbolt write on the test machine's disk.
func BenchmarkRenew(b *testing.B) {
	g := startGoTarget(b)
	c, err := lease.NewClient(g.URL(), "conformance-token-a-0123456789abcdef0123456789abcdef", nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	r, err := c.Acquire(ctx, "db", lease.AcquireRequest{Holder: "region-a", TTL: time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Renew(ctx, "db", "region-a", r.Lease.Epoch); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAcquireRelease measures a new grant plus its release (two
// fsynced writes) per iteration.
func BenchmarkAcquireRelease(b *testing.B) {
	g := startGoTarget(b)
	c, err := lease.NewClient(g.URL(), "conformance-token-a-0123456789abcdef0123456789abcdef", nil)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("l-%d", i%64)
		r, err := c.Acquire(ctx, name, lease.AcquireRequest{Holder: "region-a", TTL: time.Minute})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Release(ctx, name, "region-a", r.Lease.Epoch); err != nil {
			b.Fatal(err)
		}
	}
}
