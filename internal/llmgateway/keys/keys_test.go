package keys

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/openova-io/openova/internal/llmgateway/quota"
)

func TestGenerateHashesAndMatches(t *testing.T) {
	key, rec, err := Generate(rand.Reader, "risk", []string{"a"}, quota.Limits{RPM: 1}, time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, Prefix) || len(key) != len(Prefix)+64 {
		t.Fatalf("key %q", key)
	}
	if rec.Hash != Hash(key) || rec.ID != IDOf(key) || strings.Contains(rec.Hash, key[len(Prefix):]) {
		t.Fatal("record must hold the hash and id, not the key")
	}
	if !rec.Matches(key) || rec.Matches(key+"x") {
		t.Fatal("Matches")
	}
	if !rec.Allows("a") || rec.Allows("b") {
		t.Fatal("allow-list")
	}
	rec.Models = nil
	if !rec.Allows("b") {
		t.Fatal("an empty allow-list allows every model")
	}
	if _, _, err := Generate(bytes.NewReader(nil), "t", nil, quota.Limits{}, time.Now()); err == nil {
		t.Fatal("a failing random source must be an error")
	}
}
