// Package keys is the virtual API keys of tenants: generation, hashing (the
// gateway stores only SHA-256 of a key, never the key) and the record that
// says which team owns a key, which models it may call and its limits.
package keys

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/openova-io/openova/internal/llmgateway/quota"
)

// Prefix marks OpenOva gateway keys so secret scanners can find leaked ones.
const Prefix = "sk-oo-"

// Record is what is stored for a key.
type Record struct {
	// ID is the first 16 hex digits of the hash: public, used by the admin API.
	ID   string `json:"id"`
	Hash string `json:"hash"`
	Team string `json:"team"`
	// Models the key may call; empty means every model.
	Models   []string     `json:"models,omitempty"`
	Limits   quota.Limits `json:"limits"`
	Disabled bool         `json:"disabled,omitempty"`
	Created  time.Time    `json:"created"`
}

// Hash is the stored form of a key.
func Hash(key string) string {
	h := sha256.Sum256([]byte(key))
	return hex.EncodeToString(h[:])
}

// IDOf is the record id of a key.
func IDOf(key string) string { return Hash(key)[:16] }

// Generate makes a new key from 32 random bytes and its record.
func Generate(random io.Reader, team string, models []string, l quota.Limits, now time.Time) (string, Record, error) {
	var b [32]byte
	if _, err := io.ReadFull(random, b[:]); err != nil {
		return "", Record{}, fmt.Errorf("generating a key: %w", err)
	}
	key := Prefix + hex.EncodeToString(b[:])
	h := Hash(key)
	return key, Record{ID: h[:16], Hash: h, Team: team, Models: models, Limits: l, Created: now.UTC()}, nil
}

// Matches says in constant time whether key is this record's.
func (r *Record) Matches(key string) bool {
	return subtle.ConstantTimeCompare([]byte(Hash(key)), []byte(r.Hash)) == 1
}

// Allows says whether the key may call model.
func (r *Record) Allows(model string) bool {
	return len(r.Models) == 0 || slices.Contains(r.Models, model)
}
