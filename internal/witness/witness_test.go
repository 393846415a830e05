package witness_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/lease"
	"github.com/openova-io/openova/internal/witness"
	"github.com/openova-io/openova/internal/witness/conformance"
)

func clientFor(t *testing.T, g *goTarget, region string) *lease.Client {
	t.Helper()
	c, err := lease.NewClient(g.URL(), conformance.Tokens[region], nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The Go witness does not count its downtime: after a restart a held lease
// keeps the remaining time it had at the last durable clock reading, however
// long the witness was down. A holder that lost the witness has fenced
// itself by then, so the lease can only outlive it, never the reverse.
func TestRestartDoesNotCountDowntime(t *testing.T) {
	g := startGoTarget(t)
	ctx := context.Background()
	a, b := clientFor(t, g, "region-a"), clientFor(t, g, "region-b")
	if _, err := a.Acquire(ctx, "db", lease.AcquireRequest{Holder: "region-a", TTL: 30 * time.Second}); err != nil {
		t.Fatal(err)
	}
	g.Advance(t, 10*time.Second)
	if err := g.srv.PersistClock(); err != nil {
		t.Fatal(err)
	}
	g.Advance(t, 5*time.Second) // not persisted: a crash loses it
	g.stop()
	g.Advance(t, time.Hour) // downtime
	g.start(t)
	b = clientFor(t, g, "region-b")
	_, err := b.Acquire(ctx, "db", lease.AcquireRequest{Holder: "region-b", TTL: 30 * time.Second})
	var e *lease.Error
	if !errors.As(err, &e) || !errors.Is(err, lease.ErrConflict) || e.Lease.Remaining() != 20*time.Second {
		t.Fatalf("after an hour down, want a conflict with 20s left, got %v (%+v)", err, e)
	}
	g.Advance(t, 20*time.Second)
	r, err := b.Acquire(ctx, "db", lease.AcquireRequest{Holder: "region-b", TTL: 30 * time.Second})
	if err != nil || r.Lease.Epoch != 2 {
		t.Fatalf("takeover after the remaining 20s: %+v %v", r, err)
	}
}

// A grant the witness cannot make durable is never acknowledged.
func TestWriteFailureIsUnavailableNotGranted(t *testing.T) {
	g := startGoTarget(t)
	g.store.Close() // every write now fails
	_, err := clientFor(t, g, "region-a").Acquire(context.Background(), "db",
		lease.AcquireRequest{Holder: "region-a", TTL: time.Second})
	if !errors.Is(err, lease.ErrUnavailable) {
		t.Fatalf("want ErrUnavailable, got %v", err)
	}
	r, err := clientFor(t, g, "region-b").Read(context.Background(), "db")
	if err != nil || r.Lease.Status != lease.StatusFree {
		t.Fatalf("the refused grant must not show: %+v %v", r, err)
	}
}

func TestMetrics(t *testing.T) {
	g := startGoTarget(t)
	if _, err := clientFor(t, g, "region-a").Acquire(context.Background(), "db",
		lease.AcquireRequest{Holder: "region-a", TTL: time.Minute}); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(g.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`openova_witness_lease_held{holder="region-a",lease="db"} 1`,
		`openova_witness_lease_epoch{lease="db"} 1`,
		`openova_witness_requests_total{op="acquire",result="granted"} 1`,
		`openova_witness_storage_write_duration_seconds_count`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if strings.Contains(string(body), conformance.Tokens["region-a"]) {
		t.Error("/metrics shows a token")
	}
}

func TestCredentialsFileErrorsNameTheFix(t *testing.T) {
	good := witness.HashToken("t")
	cases := map[string]string{
		"":                                  "no regions",
		"regions: {}":                       "no regions",
		"regions: {eu: []}":                 "regions.eu has no token hash",
		"regions: {EU: [\"" + good + "\"]}": "lowercase",
		"regions: {eu: [\"md5:abc\"]}":      "sha256sum",
		"regions: {eu: [\"sha256:abcd\"]}":  "sha256sum",
		"regions: {eu: [\"" + good + "\"]}\nx: 1": "unknown field",
	}
	for in, want := range cases {
		_, err := witness.ParseCredentials([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want an error mentioning %q, got %v", in, want, err)
		}
	}
	c, err := witness.ParseCredentials([]byte("regions: {eu: [\"" + witness.HashToken("old") + "\", \"" + good + "\"]}"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"old", "t"} {
		if r, ok := c.Region(tok); !ok || r != "eu" {
			t.Errorf("token %q: got %q %v", tok, r, ok)
		}
	}
	if _, ok := c.Region("other"); ok {
		t.Error("an unknown token was accepted")
	}
}

func TestConfigValidationNamesFlags(t *testing.T) {
	err := witness.Config{TLSCertFile: "x"}.Validate()
	for _, flag := range []string{"--listen", "--data-dir", "--credentials-file", "--tls-key-file", "--min-ttl", "--clock-persist-interval"} {
		if err == nil || !strings.Contains(err.Error(), flag) {
			t.Errorf("want an error naming %s, got %v", flag, err)
		}
	}
}
