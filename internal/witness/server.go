// Package witness is the self-hosted lease witness: protocol v1 over HTTP
// (docs/witness-protocol.md), decisions by internal/lease, state in bbolt.
package witness

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/openova-io/openova/internal/lease"
)

// Server answers protocol v1. All lease operations are serialised by one
// mutex: a witness serves a handful of leases, and serialising makes each
// answer a judgement of one consistent state at one clock reading.
type Server struct {
	mu      sync.Mutex
	store   *Store
	clock   *Clock
	leases  map[string]lease.Lease
	durable time.Duration // the highest clock reading on disk
	creds   *Credentials
	limits  lease.Limits
	log     *slog.Logger
	metrics *metrics
	reg     *prometheus.Registry
}

// New loads the store and resumes the witness clock from its last durable
// reading; mono is the monotonic source the clock advances with.
func New(store *Store, creds *Credentials, mono func() time.Duration, limits lease.Limits, log *slog.Logger) (*Server, error) {
	leases, durable, err := store.Load()
	if err != nil {
		return nil, err
	}
	s := &Server{
		store: store, clock: NewClock(durable, mono), leases: leases, durable: durable,
		creds: creds, limits: limits, log: log, reg: prometheus.NewRegistry(),
	}
	s.metrics = newMetrics(s.reg, s)
	log.Info("witness state loaded", "leases", len(leases), "clock", durable)
	return s, nil
}

// Handler serves the protocol, /healthz and /metrics.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/leases/{name}", s.handle("read", s.read))
	mux.HandleFunc("POST /v1/leases/{name}/acquire", s.handle("acquire", s.acquire))
	mux.HandleFunc("POST /v1/leases/{name}/renew", s.handle("renew", s.renew))
	mux.HandleFunc("POST /v1/leases/{name}/release", s.handle("release", s.release))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok\n") })
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, lease.CodeNotFound, fmt.Sprintf("no route %s %s: see docs/witness-protocol.md", r.Method, r.URL.Path))
	})
	return mux
}

// PersistClock makes the current clock reading durable, so a restart loses
// at most the time since the last call. Only liveness depends on it.
func (s *Server) PersistClock() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.write(nil, s.clock.Now())
}

// op decides one request: given the lease and now, the next lease and the
// result. A parse error is returned as a bad request.
type op func(r *http.Request, region string, l lease.Lease, now time.Duration) (lease.Lease, lease.Result, error)

func (s *Server) handle(name string, decide op) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		result := s.serve(w, r, decide)
		s.metrics.requests.WithLabelValues(name, result).Inc()
		s.metrics.duration.WithLabelValues(name).Observe(time.Since(start).Seconds())
	}
}

// serve authenticates, decides under the lock, makes the change durable,
// then answers. It returns the metrics result label.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, decide op) string {
	token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	region, ok := s.creds.Region(token)
	if !ok {
		return writeError(w, lease.CodeUnauthorized, "missing or unknown bearer token")
	}
	name := r.PathValue("name")
	if err := lease.ValidateName("lease name", name); err != nil {
		return writeError(w, lease.CodeBadRequest, err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	cur, ok := s.leases[name]
	if !ok {
		cur = lease.Lease{Name: name}
	}
	next, res, err := decide(r, region, cur, now)
	if err != nil {
		var fe forbiddenError
		if errors.As(err, &fe) {
			return writeError(w, lease.CodeForbidden, err.Error())
		}
		return writeError(w, lease.CodeBadRequest, err.Error())
	}
	if next != cur {
		if err := s.write(&next, now); err != nil {
			s.log.Error("witness database write failed; refusing the request", "lease", name, "err", err)
			return writeError(w, lease.CodeUnavailable, "the witness could not make the change durable; retry")
		}
		s.leases[name] = next
		if res.Outcome == lease.Granted {
			s.log.Info("lease granted", "lease", name, "holder", next.Holder, "epoch", next.Epoch, "ttl", next.TTL)
		}
	}
	view := lease.ViewAt(next, now)
	// An expiry, once reported, must survive a restart: the clock reading
	// that judged it goes to disk before the answer does.
	if view.Status == lease.StatusExpired && s.durable < next.ExpiresAt {
		if err := s.write(nil, now); err != nil {
			s.log.Error("witness database write failed; refusing the request", "lease", name, "err", err)
			return writeError(w, lease.CodeUnavailable, "the witness could not make its clock durable; retry")
		}
	}
	reply := lease.Reply{Outcome: res.Outcome, Lease: &view}
	code := lease.CodeOf(res.Outcome)
	if code != "" {
		reply.Error = &lease.ErrorDetail{Code: code, Message: res.Reason}
	}
	writeJSON(w, lease.HTTPStatus(code), reply)
	if code != "" {
		return string(code)
	}
	return string(res.Outcome)
}

func (s *Server) write(l *lease.Lease, now time.Duration) error {
	start := time.Now()
	if err := s.store.Put(l, now); err != nil {
		return err
	}
	s.metrics.syncs.Observe(time.Since(start).Seconds())
	if now > s.durable {
		s.durable = now
	}
	return nil
}

func (s *Server) snapshot() ([]lease.Lease, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]lease.Lease, 0, len(s.leases))
	for _, l := range s.leases {
		out = append(out, l)
	}
	return out, s.clock.Now()
}

type forbiddenError struct{ region, holder string }

func (e forbiddenError) Error() string {
	return fmt.Sprintf("the credential of region %q may not act as holder %q", e.region, e.holder)
}

func (s *Server) read(_ *http.Request, _ string, l lease.Lease, _ time.Duration) (lease.Lease, lease.Result, error) {
	return l, lease.Result{Outcome: lease.Read, Lease: l}, nil
}

func (s *Server) acquire(r *http.Request, region string, l lease.Lease, now time.Duration) (lease.Lease, lease.Result, error) {
	var b lease.AcquireBody
	if err := decodeBody(r, &b); err != nil {
		return l, lease.Result{}, err
	}
	req := lease.AcquireRequest{Holder: b.Holder, TTL: time.Duration(b.TTLMs) * time.Millisecond, IfEpoch: b.IfEpoch}
	if err := s.limits.ValidateAcquire(req); err != nil {
		return l, lease.Result{}, err
	}
	if b.Holder != region {
		return l, lease.Result{}, forbiddenError{region, b.Holder}
	}
	next, res := lease.Acquire(l, req, now)
	return next, res, nil
}

func (s *Server) renew(r *http.Request, region string, l lease.Lease, now time.Duration) (lease.Lease, lease.Result, error) {
	b, err := grantBody(r, region)
	if err != nil {
		return l, lease.Result{}, err
	}
	next, res := lease.Renew(l, lease.RenewRequest{Holder: b.Holder, Epoch: b.Epoch}, now)
	return next, res, nil
}

func (s *Server) release(r *http.Request, region string, l lease.Lease, now time.Duration) (lease.Lease, lease.Result, error) {
	b, err := grantBody(r, region)
	if err != nil {
		return l, lease.Result{}, err
	}
	next, res := lease.Release(l, lease.ReleaseRequest{Holder: b.Holder, Epoch: b.Epoch}, now)
	return next, res, nil
}

func grantBody(r *http.Request, region string) (lease.GrantBody, error) {
	var b lease.GrantBody
	if err := decodeBody(r, &b); err != nil {
		return b, err
	}
	if err := lease.ValidateGrant(b.Holder, b.Epoch); err != nil {
		return b, err
	}
	if b.Holder != region {
		return b, forbiddenError{region, b.Holder}
	}
	return b, nil
}

// decodeBody is strict: an unknown field is refused, not ignored, because
// a condition the witness silently ignored would be a condition not checked.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	if dec.More() {
		return errors.New("request body: more than one JSON value")
	}
	return nil
}

func writeError(w http.ResponseWriter, code lease.Code, msg string) string {
	writeJSON(w, lease.HTTPStatus(code), lease.Reply{Error: &lease.ErrorDetail{Code: code, Message: msg}})
	return string(code)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
