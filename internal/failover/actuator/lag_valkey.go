package actuator

import (
	"bufio"
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ValkeyLag reads replication lag from INFO replication on this region's
// node (the replica while standby) and, when reachable, the primary's
// master_repl_offset:
//
//   - link up, primary reachable: 0 when the replica's offset has caught up
//     with the primary's, else master_last_io_seconds_ago (at least 1 s);
//   - link up, primary not reachable: master_last_io_seconds_ago would
//     count idle pings, so the last measurement is held;
//   - link down: the last measurement is held — the writes not yet
//     replicated when the link was last seen up;
//   - a held measurement expires after Hold: a link down for longer than a
//     failover takes means a primary still writing, so the lag is unknown;
//   - this node is a primary: lag 0 (nothing local to lose).
//
// Valkey offsets are bytes, not seconds, which is why a replica behind is
// reported at the age of its last data rather than converted.
type ValkeyLag struct {
	replica, primary *redis.Client
	name             string
	hold             time.Duration
	now              func() time.Time

	last   time.Duration
	lastAt time.Time
}

// NewValkeyLag measures the node at addr against the primary at peerAddr
// (both with password, which may be empty and never appears in errors).
// hold bounds how long a measurement is held; now is the clock.
func NewValkeyLag(addr, peerAddr, password string, hold time.Duration, now func() time.Time) *ValkeyLag {
	opt := func(a string) *redis.Options {
		return &redis.Options{Addr: a, Password: password, MaxRetries: 0, DialTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second}
	}
	return &ValkeyLag{replica: redis.NewClient(opt(addr)), primary: redis.NewClient(opt(peerAddr)),
		name: "valkey lag " + addr, hold: hold, now: now}
}

// Close releases both connection pools.
func (v *ValkeyLag) Close() error {
	err := v.replica.Close()
	if e := v.primary.Close(); err == nil {
		err = e
	}
	return err
}

func (v *ValkeyLag) Name() string { return v.name }

// Lag implements LagSource. Only one goroutine may call it at a time.
func (v *ValkeyLag) Lag(ctx context.Context) (LagReading, error) {
	info, err := infoReplication(ctx, v.replica)
	if err != nil {
		return LagReading{}, fmt.Errorf("%s: INFO replication: %w", v.name, err)
	}
	now := v.now()
	if info["role"] == "master" {
		v.last, v.lastAt = 0, now
		return LagReading{Known: true, Detail: "role=master"}, nil
	}
	if info["master_link_status"] == "up" {
		if p, perr := infoReplication(ctx, v.primary); perr == nil {
			lag, detail, err := replicaLag(info, p)
			if err != nil {
				return LagReading{}, fmt.Errorf("%s: %w", v.name, err)
			}
			v.last, v.lastAt = lag, now
			return LagReading{Lag: lag, Known: true, Detail: detail}, nil
		}
	}
	why := "link " + info["master_link_status"]
	if s := info["master_link_down_since_seconds"]; s != "" && why == "link down" {
		why += " for " + s + "s"
	} else if why == "link up" {
		why = "primary unreachable"
	}
	if v.lastAt.IsZero() {
		return LagReading{Detail: why + "; never measured"}, nil
	}
	if age := now.Sub(v.lastAt); age > v.hold {
		return LagReading{Detail: fmt.Sprintf("%s; last measured %s ago, longer than the hold of %s", why, age.Round(time.Second), v.hold)}, nil
	}
	return LagReading{Lag: v.last, Known: true, Held: true,
		Detail: fmt.Sprintf("%s; holding %s measured %s ago", why, v.last, now.Sub(v.lastAt).Round(time.Second))}, nil
}

// replicaLag compares the replica's INFO with its primary's.
func replicaLag(replica, primary map[string]string) (time.Duration, string, error) {
	r, err := strconv.ParseInt(replica["slave_repl_offset"], 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("replica INFO slave_repl_offset %q: %w", replica["slave_repl_offset"], err)
	}
	p, err := strconv.ParseInt(primary["master_repl_offset"], 10, 64)
	if err != nil {
		return 0, "", fmt.Errorf("primary INFO master_repl_offset %q: %w", primary["master_repl_offset"], err)
	}
	if r >= p {
		return 0, fmt.Sprintf("caught up at offset %d", r), nil
	}
	io, err := strconv.ParseInt(replica["master_last_io_seconds_ago"], 10, 64)
	if err != nil || io < 1 {
		io = 1
	}
	lag := time.Duration(io) * time.Second
	return lag, fmt.Sprintf("%d bytes behind, last data %s ago", p-r, lag), nil
}

// infoReplication parses the "key:value" lines of INFO replication.
func infoReplication(ctx context.Context, c *redis.Client) (map[string]string, error) {
	s, err := c.Info(ctx, "replication").Result()
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		if k, val, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":"); ok {
			out[k] = val
		}
	}
	return out, nil
}
