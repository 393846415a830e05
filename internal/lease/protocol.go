package lease

import (
	"errors"
	"net/http"
	"time"
)

// The wire protocol, version 1 (docs/witness-protocol.md). Every witness
// (Go, Cloudflare Worker) and every client speaks exactly these shapes.

// APIPrefix is the path prefix of protocol version 1.
const APIPrefix = "/v1/leases/"

// AcquireBody is the body of POST /v1/leases/{name}/acquire.
type AcquireBody struct {
	Holder  string  `json:"holder"`
	TTLMs   int64   `json:"ttlMs"`
	IfEpoch *uint64 `json:"ifEpoch,omitempty"`
}

// GrantBody is the body of POST /v1/leases/{name}/renew and .../release.
type GrantBody struct {
	Holder string `json:"holder"`
	Epoch  uint64 `json:"epoch"`
}

// LeaseView is a lease as the witness judged it when it answered. Times are
// durations, never instants: the caller's clock is not the witness's.
type LeaseView struct {
	Name   string `json:"name"`
	Holder string `json:"holder,omitempty"`
	Epoch  uint64 `json:"epoch"`
	Status Status `json:"status"`
	TTLMs  int64  `json:"ttlMs,omitempty"`
	// RemainingMs is how long the lease is still held, rounded up; 0 unless
	// Status is held.
	RemainingMs int64 `json:"remainingMs"`
}

// Remaining is RemainingMs as a duration.
func (v LeaseView) Remaining() time.Duration { return time.Duration(v.RemainingMs) * time.Millisecond }

// TTL is TTLMs as a duration.
func (v LeaseView) TTL() time.Duration { return time.Duration(v.TTLMs) * time.Millisecond }

// ViewAt renders l as judged at now.
func ViewAt(l Lease, now time.Duration) LeaseView {
	rem := l.RemainingAt(now)
	return LeaseView{
		Name:        l.Name,
		Holder:      l.Holder,
		Epoch:       l.Epoch,
		Status:      l.StatusAt(now),
		TTLMs:       l.TTL.Milliseconds(),
		RemainingMs: int64((rem + time.Millisecond - 1) / time.Millisecond),
	}
}

// Reply is every response body. Success: Outcome and Lease. A refusal
// (conflict, expired): Outcome, Lease and Error. Anything else: Error only.
type Reply struct {
	Outcome Outcome      `json:"outcome,omitempty"`
	Lease   *LeaseView   `json:"lease,omitempty"`
	Error   *ErrorDetail `json:"error,omitempty"`
}

// ErrorDetail names what went wrong; Code is stable, Message is for humans.
type ErrorDetail struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
}

// Code is a protocol error code.
type Code string

const (
	CodeConflict     Code = "conflict"
	CodeExpired      Code = "expired"
	CodeBadRequest   Code = "bad_request"
	CodeUnauthorized Code = "unauthorized"
	CodeForbidden    Code = "forbidden"
	CodeNotFound     Code = "not_found"
	CodeUnavailable  Code = "unavailable"
)

// statusOf is the one mapping between protocol codes and HTTP statuses.
var statusOf = map[Code]int{
	CodeConflict:     http.StatusConflict,
	CodeExpired:      http.StatusGone,
	CodeBadRequest:   http.StatusBadRequest,
	CodeUnauthorized: http.StatusUnauthorized,
	CodeForbidden:    http.StatusForbidden,
	CodeNotFound:     http.StatusNotFound,
	CodeUnavailable:  http.StatusServiceUnavailable,
}

// HTTPStatus is the status a witness answers with for code ("" is success).
func HTTPStatus(c Code) int {
	if c == "" {
		return http.StatusOK
	}
	if s, ok := statusOf[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// CodeOf is the error code of a refusal outcome ("" for success).
func CodeOf(o Outcome) Code {
	switch o {
	case Conflict:
		return CodeConflict
	case Expired:
		return CodeExpired
	}
	return ""
}

// Sentinel errors a Client returns (wrapped in *Error); test with errors.Is.
var (
	// ErrConflict: someone else holds the lease, or the holder/epoch named
	// is not the current grant. The lease did not change.
	ErrConflict = errors.New("lease conflict")
	// ErrExpired: the caller's grant has ended; acquire again.
	ErrExpired = errors.New("lease grant ended")
	// ErrUnavailable: no answer from the witness (network, timeout, 5xx,
	// unreadable reply). The request may or may not have taken effect; a
	// holder must treat a renew that ended so as not renewed.
	ErrUnavailable = errors.New("witness unavailable")
	// ErrUnauthorized: missing or unknown credential.
	ErrUnauthorized = errors.New("witness refused the credential")
	// ErrForbidden: the credential's region may not act as this holder.
	ErrForbidden = errors.New("credential may not act as this holder")
	// ErrBadRequest: the witness refused the request as malformed.
	ErrBadRequest = errors.New("witness refused the request")
)

var sentinelOf = map[Code]error{
	CodeConflict:     ErrConflict,
	CodeExpired:      ErrExpired,
	CodeBadRequest:   ErrBadRequest,
	CodeNotFound:     ErrBadRequest,
	CodeUnauthorized: ErrUnauthorized,
	CodeForbidden:    ErrForbidden,
	CodeUnavailable:  ErrUnavailable,
}
