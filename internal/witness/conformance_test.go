package witness_test

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/lease"
	"github.com/openova-io/openova/internal/witness"
	"github.com/openova-io/openova/internal/witness/conformance"
)

// goTarget runs the Go witness in-process on loopback, on a real bbolt file
// in a temp dir, with a fake monotonic source so Advance is instant.
type goTarget struct {
	dir   string
	mono  atomic.Int64
	creds *witness.Credentials
	store *witness.Store
	srv   *witness.Server
	http  *httptest.Server
}

func startGoTarget(t testing.TB) *goTarget {
	t.Helper()
	g := &goTarget{dir: t.TempDir(), creds: conformanceCredentials(t)}
	g.start(t)
	t.Cleanup(g.stop)
	return g
}

func conformanceCredentials(t testing.TB) *witness.Credentials {
	t.Helper()
	file := "regions:\n"
	for region, token := range conformance.Tokens {
		file += "  " + region + ": [\"" + witness.HashToken(token) + "\"]\n"
	}
	c, err := witness.ParseCredentials([]byte(file))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (g *goTarget) start(t testing.TB) {
	t.Helper()
	store, err := witness.OpenStore(g.dir)
	if err != nil {
		t.Fatal(err)
	}
	mono := func() time.Duration { return time.Duration(g.mono.Load()) }
	srv, err := witness.New(store, g.creds, mono, lease.DefaultLimits, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	g.store, g.srv, g.http = store, srv, httptest.NewServer(srv.Handler())
}

// stop drops the server without PersistClock: what survives is exactly what
// the witness had fsynced when it answered, as after a crash.
func (g *goTarget) stop() {
	g.http.Close()
	g.store.Close()
}

func (g *goTarget) URL() string { return g.http.URL }

func (g *goTarget) Restart(t testing.TB) {
	g.stop()
	g.start(t)
}

func (g *goTarget) Advance(_ testing.TB, d time.Duration) { g.mono.Add(int64(d)) }

func TestConformance(t *testing.T) {
	conformance.Run(t, startGoTarget(t))
}
