package actuator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// ValkeyEpochKey stores the epoch of the last actuation inside Valkey's own
// keyspace (database 0). It is written on the primary only; replicas
// receive it by replication, so every node reports the epoch of the primary
// whose data it holds, and a node whose data comes from a newer term
// refuses commands from an older one.
const ValkeyEpochKey = "openova:failover:epoch"

// Valkey is the actuator of one Valkey (or Redis) node: primary while this
// region is active, REPLICAOF the peer's node otherwise.
type Valkey struct {
	Address, PeerAddress string
	// Label, if set, names the node in events instead of its address
	// (e.g. the namespace/name of the Service a selector matched).
	Label  string
	client *redis.Client
}

// NewValkey connects lazily to addr; password may be empty. The password
// is held by the client only and never appears in errors or names.
func NewValkey(addr, peerAddr, password string) *Valkey {
	return &Valkey{Address: addr, PeerAddress: peerAddr,
		client: redis.NewClient(&redis.Options{Addr: addr, Password: password, DB: 0, MaxRetries: 1})}
}

// Close releases the connection pool.
func (v *Valkey) Close() error { return v.client.Close() }

func (v *Valkey) Name() string {
	if v.Label != "" {
		return "valkey " + v.Label
	}
	return "valkey " + v.Address
}

// Activate promotes the node (REPLICAOF NO ONE) and then stamps the epoch,
// which is possible only once it accepts writes.
func (v *Valkey) Activate(ctx context.Context, epoch uint64) error {
	if err := v.check(ctx, epoch); err != nil {
		return err
	}
	role, err := v.role(ctx)
	if err != nil {
		return err
	}
	if !role.primary {
		if err := v.client.Do(ctx, "REPLICAOF", "NO", "ONE").Err(); err != nil {
			return fmt.Errorf("%s: REPLICAOF NO ONE at epoch %d: %w", v.Name(), epoch, err)
		}
	}
	return v.stamp(ctx, epoch)
}

// Deactivate stamps the epoch while the node is still writable, then makes
// it a replica of the peer (a full resync replaces its data, stamp included,
// with the peer's).
func (v *Valkey) Deactivate(ctx context.Context, epoch uint64) error {
	if err := v.check(ctx, epoch); err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(v.PeerAddress)
	if err != nil {
		return fmt.Errorf("%s: peerAddress %q is not host:port: %w", v.Name(), v.PeerAddress, err)
	}
	role, err := v.role(ctx)
	if err != nil {
		return err
	}
	if !role.primary && role.host == host && strconv.Itoa(role.port) == port {
		return nil
	}
	if role.primary {
		if err := v.stamp(ctx, epoch); err != nil {
			return err
		}
	}
	if err := v.client.Do(ctx, "REPLICAOF", host, port).Err(); err != nil {
		return fmt.Errorf("%s: REPLICAOF %s at epoch %d: %w", v.Name(), v.PeerAddress, epoch, err)
	}
	return nil
}

// Fence is Deactivate: REPLICAOF makes the node read-only at once, even
// while the peer is unreachable.
func (v *Valkey) Fence(ctx context.Context, epoch uint64) error { return v.Deactivate(ctx, epoch) }

// Observe reports the node's ROLE reply and stamped epoch.
func (v *Valkey) Observe(ctx context.Context) (Observation, error) {
	epoch, err := v.stamped(ctx)
	if err != nil {
		return Observation{}, err
	}
	role, err := v.role(ctx)
	if err != nil {
		return Observation{}, err
	}
	if role.primary {
		return Observation{Role: RoleActive, Epoch: epoch, Confirmed: true, Detail: "role=master"}, nil
	}
	return Observation{Role: RoleStandby, Epoch: epoch, Confirmed: true,
		Detail: fmt.Sprintf("role=replica of %s:%d link=%s", role.host, role.port, role.link)}, nil
}

// ValkeyState is a node's role as its ROLE reply says, and its stamp.
type ValkeyState struct {
	Primary bool
	// ReplicaOf is the host:port a replica follows.
	ReplicaOf string
	Epoch     uint64
}

// State reads the node's role and stamped epoch, for status.
func (v *Valkey) State(ctx context.Context) (ValkeyState, error) {
	epoch, err := v.stamped(ctx)
	if err != nil {
		return ValkeyState{}, err
	}
	role, err := v.role(ctx)
	if err != nil {
		return ValkeyState{}, err
	}
	st := ValkeyState{Primary: role.primary, Epoch: epoch}
	if !role.primary {
		st.ReplicaOf = net.JoinHostPort(role.host, strconv.Itoa(role.port))
	}
	return st, nil
}

func (v *Valkey) check(ctx context.Context, epoch uint64) error {
	stamped, err := v.stamped(ctx)
	if err != nil {
		return err
	}
	if epoch < stamped {
		return &StaleEpochError{Object: v.Name(), Epoch: epoch, Stamped: stamped}
	}
	return nil
}

func (v *Valkey) stamped(ctx context.Context) (uint64, error) {
	s, err := v.client.Get(ctx, ValkeyEpochKey).Result()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("%s: GET %s: %w", v.Name(), ValkeyEpochKey, err)
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s: key %s=%q is not an epoch; delete it on the primary", v.Name(), ValkeyEpochKey, s)
	}
	return n, nil
}

// stamp raises the stored epoch atomically (never lowers it, even if two
// actuations race).
func (v *Valkey) stamp(ctx context.Context, epoch uint64) error {
	err := raiseEpoch.Run(ctx, v.client, []string{ValkeyEpochKey}, epochString(epoch)).Err()
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("%s: stamp epoch %d: %w", v.Name(), epoch, err)
	}
	return nil
}

var raiseEpoch = redis.NewScript(`
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1]) end
return cur`)

type valkeyRole struct {
	primary bool
	host    string
	port    int
	link    string
}

// role parses ROLE: ["master", offset, replicas] or ["slave", host, port,
// state, offset].
func (v *Valkey) role(ctx context.Context) (valkeyRole, error) {
	res, err := v.client.Do(ctx, "ROLE").Slice()
	if err != nil {
		return valkeyRole{}, fmt.Errorf("%s: ROLE: %w", v.Name(), err)
	}
	if len(res) == 0 {
		return valkeyRole{}, fmt.Errorf("%s: empty ROLE reply", v.Name())
	}
	switch res[0] {
	case "master":
		return valkeyRole{primary: true}, nil
	case "slave":
		if len(res) < 4 {
			return valkeyRole{}, fmt.Errorf("%s: short ROLE reply %v", v.Name(), res)
		}
		host, _ := res[1].(string)
		port, _ := res[2].(int64)
		link, _ := res[3].(string)
		return valkeyRole{host: host, port: int(port), link: link}, nil
	}
	return valkeyRole{}, fmt.Errorf("%s: unexpected ROLE %v", v.Name(), res[0])
}
