// Package oidclogin is the project's one OpenID Connect sign-in: the
// authorisation code flow with PKCE, state and nonce carried in a sealed
// cookie between the redirect and the callback, the code exchanged and the
// ID token verified (signature, issuer, audience, expiry, nonce), and the
// verified claims handed back as an Identity. What a signed-in person may
// do (a wizard organisation, a portal team) is the caller's decision.
package oidclogin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// Sealer encrypts the flow cookie bound to a context string;
// *secrets.Sealer (internal/wizard/secrets) is one.
type Sealer interface {
	Seal(plaintext []byte, context string) ([]byte, error)
	Open(sealed []byte, context string) ([]byte, error)
}

// NewRelyingParty discovers the issuer and builds the relying party,
// asking for openid, email, profile and extraScopes (e.g. "groups" where
// the issuer offers it). The client secret stays in memory.
func NewRelyingParty(ctx context.Context, issuer, clientID, clientSecret, redirectURL string, extraScopes []string, hc *http.Client) (rp.RelyingParty, error) {
	opts := []rp.Option{rp.WithVerifierOpts(rp.WithNonce(nonceFrom))}
	if hc != nil {
		opts = append(opts, rp.WithHTTPClient(hc))
	}
	scopes := append([]string{oidc.ScopeOpenID, oidc.ScopeEmail, oidc.ScopeProfile}, extraScopes...)
	r, err := rp.NewRelyingPartyOIDC(ctx, issuer, clientID, clientSecret, redirectURL, scopes, opts...)
	if err != nil {
		return nil, fmt.Errorf("discovery: %w", err)
	}
	return r, nil
}

type nonceKey struct{}

func nonceFrom(ctx context.Context) string { n, _ := ctx.Value(nonceKey{}).(string); return n }

// Identity is what a verified ID token says about a person. Their account
// is Issuer + Subject; Email counts for access only when EmailVerified.
type Identity struct {
	Issuer, Subject string
	Email           string
	EmailVerified   bool
	Groups          []string // from Flow.GroupsClaim, sorted, without duplicates
	// IDToken is the raw, verified ID token: keep it (sealed) with the
	// session only to name that session at sign-out (Flow.Logout's
	// id_token_hint). Never log it.
	IDToken string
}

// DisplayName is the email, else issuer#subject.
func (id Identity) DisplayName() string {
	if id.Email != "" {
		return id.Email
	}
	return id.Issuer + "#" + id.Subject
}

// Refused is why a sign-in was refused; it never holds a token.
type Refused struct{ Reason string }

func (e *Refused) Error() string { return "single sign-on refused: " + e.Reason }

func refused(format string, a ...any) error { return &Refused{Reason: fmt.Sprintf(format, a...)} }

// Flow runs sign-ins against one relying party. Time and randomness are
// injected.
type Flow struct {
	RP     rp.RelyingParty
	Sealer Sealer
	Now    func() time.Time
	Random io.Reader
	// Cookie names the flow cookie; Path scopes it to the callback's
	// path (e.g. /login/oidc), so it travels nowhere else.
	Cookie, Path string
	// Secure marks the cookie Secure (the browser reaches us over https).
	Secure bool
	// GroupsClaim is the ID token claim listing groups; default "groups".
	GroupsClaim string
	// Home is where a sign-in without a usable next lands; default "/".
	Home string
}

// MaxAge bounds a sign-in from redirect to callback.
const MaxAge = 10 * time.Minute

type flowState struct {
	State, Nonce, Verifier, Next string
	Expires                      time.Time
}

// Start sets the sealed flow cookie and redirects the browser to the
// issuer; after the callback the person lands on next (a local path).
func (f *Flow) Start(w http.ResponseWriter, r *http.Request, next string) error {
	var st flowState
	for _, p := range []*string{&st.State, &st.Nonce, &st.Verifier} {
		b := make([]byte, 32)
		if _, err := io.ReadFull(f.Random, b); err != nil {
			return fmt.Errorf("single sign-on: read randomness: %w", err)
		}
		*p = base64.RawURLEncoding.EncodeToString(b)
	}
	st.Next = SafeNext(next, f.home())
	st.Expires = f.Now().Add(MaxAge)
	plain, _ := json.Marshal(st)
	sealed, err := f.Sealer.Seal(plain, f.Cookie)
	if err != nil {
		return err
	}
	f.setCookie(w, base64.RawURLEncoding.EncodeToString(sealed), int(MaxAge/time.Second))
	sum := sha256.Sum256([]byte(st.Verifier))
	u := rp.AuthURL(st.State, f.RP, rp.WithCodeChallenge(base64.RawURLEncoding.EncodeToString(sum[:])),
		rp.AuthURLOpt(rp.WithURLParam("nonce", st.Nonce)))
	http.Redirect(w, r, u, http.StatusFound)
	return nil
}

// setCookie is Lax, not Strict: the callback is a navigation from the
// issuer's site and must carry it.
func (f *Flow) setCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: f.Cookie, Value: value, Path: f.Path, MaxAge: maxAge,
		HttpOnly: true, Secure: f.Secure, SameSite: http.SameSiteLaxMode})
}

// Finish handles the callback: it clears the flow cookie, checks state
// and expiry, exchanges the code with the PKCE verifier and verifies the
// ID token. It returns the person and where to send them; every failure
// is a *Refused.
func (f *Flow) Finish(w http.ResponseWriter, r *http.Request) (Identity, string, error) {
	f.setCookie(w, "", -1)
	home := f.home()
	if e := r.URL.Query().Get("error"); e != "" {
		return Identity{}, home, refused("the identity provider answered %q", e)
	}
	c, err := r.Cookie(f.Cookie)
	if err != nil {
		return Identity{}, home, refused("the sign-in started elsewhere or took over 10 minutes; start again")
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return Identity{}, home, refused("damaged sign-in cookie; start again")
	}
	plain, err := f.Sealer.Open(raw, f.Cookie)
	var st flowState
	if err != nil || json.Unmarshal(plain, &st) != nil {
		return Identity{}, home, refused("damaged sign-in cookie; start again")
	}
	if f.Now().After(st.Expires) {
		return Identity{}, st.Next, refused("the sign-in took over 10 minutes; start again")
	}
	if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("state")), []byte(st.State)) != 1 {
		return Identity{}, st.Next, refused("state does not match this browser's sign-in")
	}
	ctx := context.WithValue(r.Context(), nonceKey{}, st.Nonce)
	tokens, err := rp.CodeExchange[*oidc.IDTokenClaims](ctx, r.URL.Query().Get("code"), f.RP, rp.WithCodeVerifier(st.Verifier))
	if err != nil {
		return Identity{}, st.Next, refused("the ID token did not verify (%v)", err)
	}
	id := f.identity(tokens.IDTokenClaims)
	id.IDToken = tokens.IDToken
	return id, st.Next, nil
}

func (f *Flow) identity(c *oidc.IDTokenClaims) Identity {
	claim := f.GroupsClaim
	if claim == "" {
		claim = "groups"
	}
	return Identity{Issuer: c.Issuer, Subject: c.Subject, Email: c.Email, EmailVerified: bool(c.EmailVerified),
		Groups: Groups(c.Claims[claim])}
}

// Groups reads a groups claim: a list of strings or one string (issuers
// differ). Anything else yields no groups, never an error: a person with
// no recognised group simply gets no access.
func Groups(v any) []string {
	var out []string
	switch g := v.(type) {
	case string:
		out = []string{g}
	case []string:
		out = slices.Clone(g)
	case []any:
		for _, e := range g {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
	}
	out = slices.DeleteFunc(out, func(s string) bool { return s == "" })
	slices.Sort(out)
	return slices.Compact(out)
}

func (f *Flow) home() string {
	if f.Home == "" {
		return "/"
	}
	return f.Home
}

// SafeNext keeps next only when it is a path on this site, so a crafted
// sign-in link cannot send a person elsewhere afterwards. Browsers drop
// tabs and newlines from a URL and read \ as /, so "/\t/evil.example"
// and "/\\evil.example" would leave the site (Chromium followed both).
func SafeNext(next, home string) string {
	odd := func(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f }
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsFunc(next, odd) {
		return home
	}
	return next
}
