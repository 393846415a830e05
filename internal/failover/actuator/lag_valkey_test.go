package actuator_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/openova-io/openova/internal/failover/actuator"
)

// TestValkeyLag runs two real redis-server processes, the second a
// REPLICAOF the first, and reads the lag as the standby's controller does.
func TestValkeyLag(t *testing.T) {
	ctx := context.Background()
	primary, replica := startRedis(t), startRedis(t)
	pc := redis.NewClient(&redis.Options{Addr: primary, Password: valkeyPassword})
	rc := redis.NewClient(&redis.Options{Addr: replica, Password: valkeyPassword})
	defer pc.Close()
	defer rc.Close()
	host, port, _ := strings.Cut(primary, ":")
	if err := rc.Do(ctx, "REPLICAOF", host, port).Err(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ {
		if err := pc.Set(ctx, "k", i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	now := time.Unix(1_800_000_000, 0)
	clock := func() time.Time { return now }
	src := actuator.NewValkeyLag(replica, primary, valkeyPassword, 45*time.Second, clock)
	defer src.Close()

	// Link up and caught up: lag 0, measured (not held).
	r := waitLag(t, src, func(r actuator.LagReading) bool { return r.Known && !r.Held && r.Lag == 0 })
	if !strings.Contains(r.Detail, "caught up") {
		t.Errorf("detail %q, want it to say caught up", r.Detail)
	}

	// The primary dies: the replica's link goes down and the last
	// measurement is held, saying so.
	_ = pc.Do(ctx, "SHUTDOWN", "NOSAVE").Err()
	now = now.Add(10 * time.Second)
	r = waitLag(t, src, func(r actuator.LagReading) bool { return r.Held })
	if !r.Known || r.Lag != 0 || !strings.Contains(r.Detail, "link down") {
		t.Errorf("after primary death: %+v, want lag 0 known, held, link down", r)
	}

	// Past the hold the lag is unknown: a primary alive that long without
	// replicating may be far ahead.
	now = now.Add(40 * time.Second)
	if r, err := src.Lag(ctx); err != nil || r.Known || !strings.Contains(r.Detail, "longer than the hold") {
		t.Errorf("past the hold: %+v, %v; want unknown", r, err)
	}

	// A source that never saw the link up cannot vouch for anything.
	fresh := actuator.NewValkeyLag(replica, primary, valkeyPassword, time.Hour, clock)
	defer fresh.Close()
	if r, err := fresh.Lag(ctx); err != nil || r.Known || !strings.Contains(r.Detail, "never measured") {
		t.Errorf("fresh source with link down: %+v, %v; want unknown, never measured", r, err)
	}

	// A primary has nothing local to lose.
	if err := rc.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
		t.Fatal(err)
	}
	if r, err := fresh.Lag(ctx); err != nil || !r.Known || r.Lag != 0 {
		t.Errorf("on a primary: %+v, %v; want known 0", r, err)
	}
}

func TestValkeyLagUnreachable(t *testing.T) {
	addr := startRedis(t)
	src := actuator.NewValkeyLag("127.0.0.1:1", addr, valkeyPassword, time.Minute, time.Now)
	defer src.Close()
	_, err := src.Lag(context.Background())
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1") || strings.Contains(err.Error(), valkeyPassword) {
		t.Fatalf("unreachable replica: err %v, want one naming the address and not the password", err)
	}
}

func waitLag(t *testing.T, src actuator.LagSource, ok func(actuator.LagReading) bool) actuator.LagReading {
	t.Helper()
	var r actuator.LagReading
	var err error
	for i := 0; i < 200; i++ {
		if r, err = src.Lag(context.Background()); err == nil && ok(r) {
			return r
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("lag never reached the expected reading; last %+v, %v", r, err)
	return r
}
