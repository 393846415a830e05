package lease

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client speaks protocol v1 to one witness with one region's credential.
// Every method returns the witness's judgement or an error that is one of
// the sentinels above (errors.Is), wrapped in *Error with the details.
type Client struct {
	base  string
	token string
	http  *http.Client
}

// NewClient returns a client for the witness at baseURL (scheme and host,
// optionally a path prefix) authenticating with token. httpClient may be
// nil; callers should bound every call with a context deadline.
func NewClient(baseURL, token string, httpClient *http.Client) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("witness URL %q is invalid: use http(s)://host[:port]", baseURL)
	}
	if token == "" {
		return nil, errors.New("witness token is empty: set the region's bearer token")
	}
	if httpClient == nil {
		httpClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &Client{base: strings.TrimSuffix(baseURL, "/"), token: token, http: httpClient}, nil
}

// Error is a refusal or failure, with the lease as the witness saw it when
// it refused (conflict, expired).
type Error struct {
	Op      string
	Code    Code
	Message string
	Lease   *LeaseView
	err     error
}

func (e *Error) Error() string {
	return fmt.Sprintf("witness %s: %s: %s", e.Op, e.Code, e.Message)
}

// Unwrap lets errors.Is match the sentinel (and a transport cause).
func (e *Error) Unwrap() []error {
	if sentinel, ok := sentinelOf[e.Code]; ok {
		return []error{sentinel, e.err}
	}
	return []error{ErrUnavailable, e.err}
}

// Acquire asks for the lease. Success is Granted (new epoch) or Extended
// (the caller already held it).
func (c *Client) Acquire(ctx context.Context, name string, req AcquireRequest) (Reply, error) {
	return c.do(ctx, "acquire", http.MethodPost, name, "/acquire",
		AcquireBody{Holder: req.Holder, TTLMs: req.TTL.Milliseconds(), IfEpoch: req.IfEpoch})
}

// Renew extends the caller's grant.
func (c *Client) Renew(ctx context.Context, name, holder string, epoch uint64) (Reply, error) {
	return c.do(ctx, "renew", http.MethodPost, name, "/renew", GrantBody{Holder: holder, Epoch: epoch})
}

// Release gives the caller's grant back.
func (c *Client) Release(ctx context.Context, name, holder string, epoch uint64) (Reply, error) {
	return c.do(ctx, "release", http.MethodPost, name, "/release", GrantBody{Holder: holder, Epoch: epoch})
}

// Read returns the lease as the witness judges it now.
func (c *Client) Read(ctx context.Context, name string) (Reply, error) {
	return c.do(ctx, "read", http.MethodGet, name, "", nil)
}

func (c *Client) do(ctx context.Context, op, method, name, suffix string, body any) (Reply, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return Reply{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+APIPrefix+url.PathEscape(name)+suffix, rd)
	if err != nil {
		return Reply{}, &Error{Op: op, Code: CodeBadRequest, Message: err.Error(), err: err}
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		// url.Error carries the URL, never the Authorization header.
		return Reply{}, &Error{Op: op, Code: CodeUnavailable, Message: err.Error(), err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return Reply{}, &Error{Op: op, Code: CodeUnavailable, Message: "reading the reply: " + err.Error(), err: err}
	}
	var r Reply
	if err := json.Unmarshal(raw, &r); err != nil {
		return Reply{}, &Error{Op: op, Code: CodeUnavailable,
			Message: fmt.Sprintf("HTTP %d with an unreadable body (%v)", resp.StatusCode, err)}
	}
	if resp.StatusCode == http.StatusOK && r.Error == nil && r.Lease != nil {
		return r, nil
	}
	e := &Error{Op: op, Code: CodeUnavailable, Message: fmt.Sprintf("HTTP %d", resp.StatusCode), Lease: r.Lease}
	// Trust the body's code only when it agrees with the HTTP status, so a
	// proxy's error page can never read as a conflict.
	if r.Error != nil && HTTPStatus(r.Error.Code) == resp.StatusCode {
		e.Code, e.Message = r.Error.Code, r.Error.Message
	}
	return r, e
}
