package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/wizard"
	"github.com/openova-io/openova/internal/wizard/sqlite"
)

// BenchmarkAppendApplyEvents is the cost of tofu's output in the apply
// feed: a transaction (fsynced, synchronous=FULL) that numbers, inserts
// and trims (the feed keeps 10000 log lines), per line when tofu writes
// one at a time and per 32 lines when its output arrives in a burst.
func BenchmarkAppendApplyEvents(b *testing.B) {
	for _, batch := range []int{1, 32} {
		b.Run(fmt.Sprintf("lines=%d", batch), func(b *testing.B) {
			ctx := context.Background()
			s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "wizard.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			if err := s.CreateOrg(ctx, &wizard.Org{ID: "o", Name: "acme"}); err != nil {
				b.Fatal(err)
			}
			if err := s.CreateBootstrap(ctx, &wizard.Bootstrap{ID: "b", OrgID: "o", Instance: wizard.NewInstance(), Status: wizard.StatusDraft}); err != nil {
				b.Fatal(err)
			}
			if err := s.CreateApplyRun(ctx, &wizard.ApplyRun{OrgID: "o", BootstrapID: "b"}); err != nil {
				b.Fatal(err)
			}
			evs := make([]*wizard.ApplyEvent, batch)
			for i := range evs {
				evs[i] = &wizard.ApplyEvent{Kind: "log", Step: "apply", Text: "hcloud_server.fsn_cp[0]: Still creating... [10s elapsed]", At: time.Unix(0, 0)}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := s.AppendApplyEvents(ctx, "o", "b", evs, 10000); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/line")
		})
	}
}

// BenchmarkLoginThrottle is what the limit adds to a wrong password on
// SQLite: read both counters, count the name, count the address, prune.
func BenchmarkLoginThrottle(b *testing.B) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "wizard.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	p, now := wizard.DefaultLoginPolicy, time.Unix(1e9, 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		user, ip := fmt.Sprintf("user:%d", i%1000), fmt.Sprintf("ip:%d", i%100)
		now = now.Add(time.Second)
		for _, k := range []string{ip, user} {
			if _, err := s.LoginFailures(ctx, k); err != nil {
				b.Fatal(err)
			}
		}
		for _, k := range []string{user, ip} {
			if _, err := s.RecordLoginFailure(ctx, k, now, p.RestartAt(now)); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := s.PruneLoginFailures(ctx, p.StaleAt(now)); err != nil {
			b.Fatal(err)
		}
	}
}
