// Package admin is the gateway's admin API: create, list, change and revoke
// virtual keys, and read their monthly usage. It listens on the admin port
// only and requires the admin token.
package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/openova-io/openova/internal/llmgateway/keys"
	"github.com/openova-io/openova/internal/llmgateway/quota"
	"github.com/openova-io/openova/internal/llmgateway/valkey"
)

// API serves /admin/v1.
type API struct {
	RDB   *redis.Client
	Token string // empty disables the API
	Now   func() time.Time
	Rand  io.Reader
}

// KeyView is a record as the API shows it (no hash).
type KeyView struct {
	ID       string       `json:"id"`
	Team     string       `json:"team"`
	Models   []string     `json:"models,omitempty"`
	Limits   quota.Limits `json:"limits"`
	Disabled bool         `json:"disabled,omitempty"`
	Created  time.Time    `json:"created"`
}

func view(r *keys.Record) KeyView {
	return KeyView{ID: r.ID, Team: r.Team, Models: r.Models, Limits: r.Limits, Disabled: r.Disabled, Created: r.Created}
}

// KeyRequest creates or changes a key; absent fields are left as they are.
type KeyRequest struct {
	Team     string        `json:"team,omitempty"`
	Models   *[]string     `json:"models,omitempty"`
	Limits   *quota.Limits `json:"limits,omitempty"`
	Disabled *bool         `json:"disabled,omitempty"`
}

// Handler routes the API behind the token check.
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /admin/v1/keys", a.create)
	mux.HandleFunc("GET /admin/v1/keys", a.list)
	mux.HandleFunc("GET /admin/v1/keys/{id}", a.get)
	mux.HandleFunc("PATCH /admin/v1/keys/{id}", a.patch)
	mux.HandleFunc("DELETE /admin/v1/keys/{id}", a.del)
	mux.HandleFunc("GET /admin/v1/keys/{id}/usage", a.usage)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a.Token == "" {
			fail(w, http.StatusForbidden, "the admin API is disabled: set adminTokenEnv in the config and that variable in the environment")
			return
		}
		got := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		g, want := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(a.Token))
		if subtle.ConstantTimeCompare(g[:], want[:]) != 1 {
			fail(w, http.StatusUnauthorized, "missing or wrong admin token (Authorization: Bearer <token>)")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func fail(w http.ResponseWriter, status int, msg string) {
	reply(w, status, map[string]any{"error": map[string]string{"message": msg}})
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func decode(r *http.Request) (*KeyRequest, error) {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	var k KeyRequest
	if err := dec.Decode(&k); err != nil {
		return nil, fmt.Errorf("body: %w (fields: team, models, limits{rpm,tpm,monthlyBudget}, disabled)", err)
	}
	if k.Limits != nil && (k.Limits.RPM < 0 || k.Limits.TPM < 0 || k.Limits.MonthlyBudget < 0) {
		return nil, errors.New("limits: values cannot be negative (0 means unlimited)")
	}
	return &k, nil
}

func (a *API) create(w http.ResponseWriter, r *http.Request) {
	k, err := decode(r)
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	if k.Team == "" {
		fail(w, http.StatusBadRequest, "team: required")
		return
	}
	var models []string
	if k.Models != nil {
		models = *k.Models
	}
	var l quota.Limits
	if k.Limits != nil {
		l = *k.Limits
	}
	key, rec, err := keys.Generate(a.Rand, k.Team, models, l, a.Now())
	if err != nil {
		fail(w, http.StatusInternalServerError, err.Error())
		return
	}
	if k.Disabled != nil {
		rec.Disabled = *k.Disabled
	}
	if err := valkey.Put(r.Context(), a.RDB, &rec); err != nil {
		fail(w, http.StatusServiceUnavailable, "storing the key: "+err.Error())
		return
	}
	// The only time the key is shown: it is stored hashed.
	reply(w, http.StatusCreated, map[string]any{"key": key, "record": view(&rec)})
}

func (a *API) list(w http.ResponseWriter, r *http.Request) {
	recs, err := valkey.List(r.Context(), a.RDB)
	if err != nil {
		fail(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	out := make([]KeyView, len(recs))
	for i := range recs {
		out[i] = view(&recs[i])
	}
	reply(w, http.StatusOK, map[string]any{"keys": out})
}

func (a *API) load(w http.ResponseWriter, r *http.Request) *keys.Record {
	rec, err := valkey.Get(r.Context(), a.RDB, r.PathValue("id"))
	switch {
	case errors.Is(err, valkey.ErrNotFound):
		fail(w, http.StatusNotFound, "no key with id "+r.PathValue("id"))
	case err != nil:
		fail(w, http.StatusServiceUnavailable, err.Error())
	default:
		return rec
	}
	return nil
}

func (a *API) get(w http.ResponseWriter, r *http.Request) {
	if rec := a.load(w, r); rec != nil {
		reply(w, http.StatusOK, view(rec))
	}
}

func (a *API) patch(w http.ResponseWriter, r *http.Request) {
	k, err := decode(r)
	if err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	rec := a.load(w, r)
	if rec == nil {
		return
	}
	if k.Team != "" {
		rec.Team = k.Team
	}
	if k.Models != nil {
		rec.Models = *k.Models
	}
	if k.Limits != nil {
		rec.Limits = *k.Limits
	}
	if k.Disabled != nil {
		rec.Disabled = *k.Disabled
	}
	if err := valkey.Put(r.Context(), a.RDB, rec); err != nil {
		fail(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	reply(w, http.StatusOK, view(rec))
}

func (a *API) del(w http.ResponseWriter, r *http.Request) {
	err := valkey.Delete(r.Context(), a.RDB, r.PathValue("id"))
	switch {
	case errors.Is(err, valkey.ErrNotFound):
		fail(w, http.StatusNotFound, "no key with id "+r.PathValue("id"))
	case err != nil:
		fail(w, http.StatusServiceUnavailable, err.Error())
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (a *API) usage(w http.ResponseWriter, r *http.Request) {
	rec := a.load(w, r)
	if rec == nil {
		return
	}
	month := r.URL.Query().Get("month")
	if month == "" {
		month = quota.WindowsAt(a.Now()).Month
	} else if _, err := time.Parse("2006-01", month); err != nil {
		fail(w, http.StatusBadRequest, "month: want YYYY-MM, e.g. 2026-11")
		return
	}
	u, err := valkey.UsageOf(r.Context(), a.RDB, rec.ID, month)
	if err != nil {
		fail(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	reply(w, http.StatusOK, map[string]any{"id": rec.ID, "team": rec.Team, "limits": rec.Limits, "usage": u})
}
