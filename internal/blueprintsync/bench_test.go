package blueprintsync

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkSync syncs the full embedded catalog (61 repositories) into a
// fresh organisation (first) and again (second, nothing to write), with
// 1 and 4 repositories in flight. The real Gitea runs on the same
// machine, so its hooks share the CPU with the client.
//
//	go test ./internal/blueprintsync -run '^$' -bench Sync -benchtime 1x
func BenchmarkSync(b *testing.B) {
	c, ctx := srv.Client(b), context.Background()
	cat := embedded(b)
	for _, workers := range []int{1, 4} {
		n := 0
		b.Run(fmt.Sprintf("first/workers=%d", workers), func(b *testing.B) {
			for b.Loop() {
				n++
				p, err := NewPlan(cat, fmt.Sprintf("bench-%d-%d", workers, n))
				if err != nil {
					b.Fatal(err)
				}
				if _, err := Apply(ctx, c, p, workers); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("second/workers=%d", workers), func(b *testing.B) {
			p, err := NewPlan(cat, fmt.Sprintf("bench-%d-%d", workers, n))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, err := Apply(ctx, c, p, workers); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
