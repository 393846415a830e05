// Package valkey holds the gateway's tenancy in Valkey: key records, and
// the RPM, TPM and monthly budget counters, reserved before a call and
// reconciled after it by Lua scripts so concurrent gateways never
// overshoot a limit between a check and its increment.
package valkey

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/openova-io/openova/internal/llmgateway"
	"github.com/openova-io/openova/internal/llmgateway/keys"
	"github.com/openova-io/openova/internal/llmgateway/quota"
)

// Layout of the keys, one place.
func recordKey(id string) string          { return "llmgw:key:" + id }
func rpmKey(id, minute string) string     { return "llmgw:rpm:" + id + ":" + minute }
func tpmKey(id, minute string) string     { return "llmgw:tpm:" + id + ":" + minute }
func spendKey(id, month string) string    { return "llmgw:spend:" + id + ":" + month }
func usedKey(id, month string) string     { return "llmgw:used:" + id + ":" + month }
func requestsKey(id, month string) string { return "llmgw:reqs:" + id + ":" + month }

const indexKey = "llmgw:keys" // set of record ids

// reserve implements quota.Check atomically, then counts the reservation.
// KEYS rpm tpm spend; ARGV rpmLimit tpmLimit budget tokens cost minuteLeft monthLeft.
var reserve = redis.NewScript(`
local r = tonumber(redis.call('GET', KEYS[1]) or '0')
local t = tonumber(redis.call('GET', KEYS[2]) or '0')
local s = tonumber(redis.call('GET', KEYS[3]) or '0')
local rpm, tpm, budget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local wt, wc = tonumber(ARGV[4]), tonumber(ARGV[5])
if rpm > 0 and r + 1 > rpm then return {1, tonumber(ARGV[6])} end
if tpm > 0 and t + wt > tpm then return {2, tonumber(ARGV[6])} end
if budget > 0 and s + wc > budget then return {3, tonumber(ARGV[7])} end
redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], 120)
redis.call('INCRBY', KEYS[2], wt) redis.call('EXPIRE', KEYS[2], 120)
redis.call('INCRBY', KEYS[3], wc) redis.call('EXPIRE', KEYS[3], 3456000)
return {0, 0}
`)

// settle moves the reservation to the actual usage and counts the month.
// KEYS tpm spend used requests; ARGV tokenDelta costDelta tokens.
var settle = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('INCRBY', KEYS[1], ARGV[1]) end
redis.call('INCRBY', KEYS[2], ARGV[2]) redis.call('EXPIRE', KEYS[2], 3456000)
redis.call('INCRBY', KEYS[3], ARGV[3]) redis.call('EXPIRE', KEYS[3], 3456000)
redis.call('INCR', KEYS[4]) redis.call('EXPIRE', KEYS[4], 3456000)
return 0
`)

var limitNames = map[int64]string{1: "rpm", 2: "tpm", 3: "budget"}

// Tenancy implements llmgateway.Tenancy over Valkey.
type Tenancy struct {
	rdb *redis.Client
	now func() time.Time
	ttl time.Duration

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	rec     *keys.Record
	expires time.Time
}

// New uses rdb; records are cached for ttl (revocations take up to ttl).
func New(rdb *redis.Client, now func() time.Time, ttl time.Duration) *Tenancy {
	return &Tenancy{rdb: rdb, now: now, ttl: ttl, cache: map[string]cached{}}
}

type handle struct {
	minute, month string
}

func denied(status int, code, msg string) error {
	return &llmgateway.Error{Status: status, Code: code, Msg: msg}
}

// Admit checks the key and the model allow-list and reserves the call.
func (t *Tenancy) Admit(ctx context.Context, apiKey, model string, tokens, cost int64) (*llmgateway.Grant, error) {
	if apiKey == "" {
		return nil, denied(http.StatusUnauthorized, "missing_api_key", "no API key: send Authorization: Bearer <key> or x-api-key")
	}
	rec, err := t.lookup(ctx, apiKey)
	if err != nil {
		return nil, err
	}
	if rec == nil || !rec.Matches(apiKey) || rec.Disabled {
		return nil, denied(http.StatusUnauthorized, "invalid_api_key", "the API key is not valid")
	}
	if !rec.Allows(model) {
		return nil, denied(http.StatusForbidden, "model_not_allowed", fmt.Sprintf("key %s (team %s) may not call model %s", rec.ID, rec.Team, model))
	}
	w := quota.WindowsAt(t.now())
	res, err := reserve.Run(ctx, t.rdb, []string{rpmKey(rec.ID, w.Minute), tpmKey(rec.ID, w.Minute), spendKey(rec.ID, w.Month)},
		rec.Limits.RPM, rec.Limits.TPM, rec.Limits.MonthlyBudget, tokens, cost, w.MinuteLeft, w.MonthLeft).Int64Slice()
	if err != nil {
		return nil, denied(http.StatusServiceUnavailable, "limits_unavailable", "limits store unavailable; retry shortly")
	}
	if res[0] != 0 {
		e := &llmgateway.Error{Status: http.StatusTooManyRequests, Code: limitNames[res[0]] + "_exceeded", RetryAfter: int(res[1]),
			Msg: fmt.Sprintf("key %s: %s limit reached; retry after %ds", rec.ID, limitNames[res[0]], res[1])}
		if tokens > rec.Limits.TPM && rec.Limits.TPM > 0 {
			e.Msg = fmt.Sprintf("key %s: the request reserves %d tokens, more than the key's %d tokens per minute; lower max_tokens", rec.ID, tokens, rec.Limits.TPM)
		}
		return nil, e
	}
	return &llmgateway.Grant{KeyID: rec.ID, Team: rec.Team, ReservedTokens: tokens, ReservedCost: cost, Opaque: handle{w.Minute, w.Month}}, nil
}

// Settle replaces the reservation by the actual usage.
func (t *Tenancy) Settle(ctx context.Context, g *llmgateway.Grant, tokens, cost int64) {
	h := g.Opaque.(handle)
	_ = settle.Run(ctx, t.rdb, []string{tpmKey(g.KeyID, h.minute), spendKey(g.KeyID, h.month), usedKey(g.KeyID, h.month), requestsKey(g.KeyID, h.month)},
		tokens-g.ReservedTokens, cost-g.ReservedCost, tokens).Err()
}

func (t *Tenancy) lookup(ctx context.Context, apiKey string) (*keys.Record, error) {
	id := keys.IDOf(apiKey)
	now := t.now()
	t.mu.Lock()
	c, ok := t.cache[id]
	t.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.rec, nil
	}
	rec, err := Get(ctx, t.rdb, id)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, denied(http.StatusServiceUnavailable, "limits_unavailable", "key store unavailable; retry shortly")
	}
	t.mu.Lock()
	t.cache[id] = cached{rec: rec, expires: now.Add(t.ttl)}
	t.mu.Unlock()
	return rec, nil
}

// ErrNotFound is a key id with no record.
var ErrNotFound = errors.New("no such key")

// Get reads a record by id.
func Get(ctx context.Context, rdb *redis.Client, id string) (*keys.Record, error) {
	b, err := rdb.Get(ctx, recordKey(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	var r keys.Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("key record %s: %w", id, err)
	}
	return &r, nil
}

// Put writes a record.
func Put(ctx context.Context, rdb *redis.Client, r *keys.Record) error {
	b, _ := json.Marshal(r)
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, recordKey(r.ID), b, 0)
		p.SAdd(ctx, indexKey, r.ID)
		return nil
	})
	return err
}

// Delete removes a record.
func Delete(ctx context.Context, rdb *redis.Client, id string) error {
	n, err := rdb.Del(ctx, recordKey(id)).Result()
	if err != nil {
		return err
	}
	rdb.SRem(ctx, indexKey, id)
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// List returns every record.
func List(ctx context.Context, rdb *redis.Client) ([]keys.Record, error) {
	ids, err := rdb.SMembers(ctx, indexKey).Result()
	if err != nil {
		return nil, err
	}
	out := make([]keys.Record, 0, len(ids))
	for _, id := range ids {
		r, err := Get(ctx, rdb, id)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, nil
}

// Usage is a key's counters for one month.
type Usage struct {
	Month         string `json:"month"`
	Requests      int64  `json:"requests"`
	Tokens        int64  `json:"tokens"`
	SpentMicroUSD int64  `json:"spentMicroUSD"`
}

// UsageOf reads a key's month ("2026-11").
func UsageOf(ctx context.Context, rdb *redis.Client, id, month string) (Usage, error) {
	vals, err := rdb.MGet(ctx, requestsKey(id, month), usedKey(id, month), spendKey(id, month)).Result()
	if err != nil {
		return Usage{}, err
	}
	u := Usage{Month: month}
	for i, p := range []*int64{&u.Requests, &u.Tokens, &u.SpentMicroUSD} {
		if s, ok := vals[i].(string); ok {
			_, _ = fmt.Sscan(s, p)
		}
	}
	return u, nil
}
