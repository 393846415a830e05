package actuator_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/openova-io/openova/internal/failover/actuator"
	"github.com/openova-io/openova/internal/valkeytest"
)

const valkeyPassword = "s3cret-test-password"

// startRedis runs a real redis-server with a password on a free loopback
// port and returns its address.
func startRedis(t *testing.T) string { return valkeytest.StartServer(t, valkeyPassword) }

func waitEpoch(t *testing.T, v *actuator.Valkey, want uint64, role actuator.Role) actuator.Observation {
	t.Helper()
	var obs actuator.Observation
	var err error
	for i := 0; i < 200; i++ {
		obs, err = v.Observe(context.Background())
		if err == nil && obs.Epoch == want && obs.Role == role && !strings.Contains(obs.Detail, "link=connect") {
			return obs
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("%s: last observation %+v, %v; want %s at epoch %d", v.Name(), obs, err, role, want)
	return obs
}

func TestValkeyReplicaOf(t *testing.T) {
	ctx := context.Background()
	addrA, addrB := startRedis(t), startRedis(t)
	a := actuator.NewValkey(addrA, addrB, valkeyPassword)
	b := actuator.NewValkey(addrB, addrA, valkeyPassword)
	defer a.Close()
	defer b.Close()

	// Region A active at epoch 5, B replicating from it.
	if err := a.Activate(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if err := b.Deactivate(ctx, 5); err != nil {
		t.Fatal(err)
	}
	waitEpoch(t, b, 5, actuator.RoleStandby) // the stamp arrived by replication

	// Region B takes over at epoch 6; A, back, stands down at epoch 6.
	if err := b.Activate(ctx, 6); err != nil {
		t.Fatal(err)
	}
	if err := a.Deactivate(ctx, 6); err != nil {
		t.Fatal(err)
	}
	obs := waitEpoch(t, a, 6, actuator.RoleStandby)
	if !strings.Contains(obs.Detail, "replica of "+addrB) {
		t.Errorf("A's role: %s, want replica of %s", obs.Detail, addrB)
	}
	if obs := waitEpoch(t, b, 6, actuator.RoleActive); !obs.Confirmed {
		t.Errorf("B not confirmed primary: %+v", obs)
	}

	// Idempotent, and a command from the older term is refused.
	if err := b.Activate(ctx, 6); err != nil {
		t.Fatal(err)
	}
	err := a.Activate(ctx, 5)
	if !errors.Is(err, actuator.ErrStaleEpoch) {
		t.Fatalf("Activate(5) on a node holding epoch-6 data: got %v, want ErrStaleEpoch", err)
	}
	waitEpoch(t, a, 6, actuator.RoleStandby)

	// Fencing works while the peer is unreachable: the node becomes a
	// read-only replica at once.
	down := actuator.NewValkey(addrB, "127.0.0.1:1", valkeyPassword)
	defer down.Close()
	if err := down.Fence(ctx, 7); err != nil {
		t.Fatal(err)
	}
	raw := redis.NewClient(&redis.Options{Addr: addrB, Password: valkeyPassword})
	defer raw.Close()
	if err := raw.Set(ctx, "k", "v", 0).Err(); err == nil || !strings.Contains(err.Error(), "READONLY") {
		t.Errorf("write to a fenced node: got %v, want READONLY", err)
	}
}

func TestValkeyErrorsHideThePassword(t *testing.T) {
	addr := startRedis(t)
	v := actuator.NewValkey(addr, addr, "wrong-"+valkeyPassword)
	defer v.Close()
	err := v.Activate(context.Background(), 1)
	if err == nil {
		t.Fatal("Activate with a wrong password succeeded")
	}
	if strings.Contains(err.Error(), valkeyPassword) {
		t.Errorf("error leaks the password: %v", err)
	}
}
