// Package valkeytest runs a real redis-server (Valkey speaks the same
// protocol; hack/setup.sh installs the Debian package) on a free loopback
// port for a test or benchmark.
package valkeytest

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Start returns a client of a fresh server without a password, stopped at
// the test's end.
func Start(t testing.TB) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: StartServer(t, ""), PoolSize: 64})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// StartServer starts a fresh server, requiring password when it is not
// empty (also as the password it presents to a primary it replicates), and
// returns its address once it answers; it is stopped at the test's end.
func StartServer(t testing.TB, password string) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatal("redis-server not installed: run hack/setup.sh (apt-get install -y redis-server)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	args := []string{"--bind", "127.0.0.1", "--port", strconv.Itoa(port), "--dir", t.TempDir(), "--save", "", "--appendonly", "no"}
	if password != "" {
		args = append(args, "--requirepass", password, "--masterauth", password)
	}
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	c := redis.NewClient(&redis.Options{Addr: addr, Password: password})
	defer c.Close()
	for i := 0; c.Ping(context.Background()).Err() != nil; i++ {
		if i > 100 {
			t.Fatalf("redis-server on %s did not answer", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return addr
}
