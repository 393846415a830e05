// Package oidctest runs a real OpenID Provider (zitadel/oidc's op package)
// in-process on loopback, for the wizard's single sign-on tests: one web
// client, one user who is signed in without a form, in-memory storage, and
// knobs that make it mint ID tokens for another audience or already expired
// (the refusals a relying party must make). With the login form on it
// keeps a session per browser (a cookie), as Keycloak does, until an
// RP-initiated logout at its end_session_endpoint ends it.
package oidctest

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"html/template"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/pkg/oidc"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// User is whom the provider signs in.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Groups        []string
}

// Provider is a running OpenID Provider.
type Provider struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	server       *httptest.Server
	st           *storage
}

// Start serves a provider with one confidential web client allowed to
// redirect to redirectURL.
func Start(clientID, clientSecret, redirectURL string, user User) (*Provider, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	st := &storage{key: key, clientID: clientID, secret: clientSecret, redirect: redirectURL, user: user,
		requests: map[string]*authRequest{}, codes: map[string]string{}, lifetime: 5 * time.Minute, sessions: map[string]string{}}
	p := &Provider{ClientID: clientID, ClientSecret: clientSecret, st: st}
	mux := http.NewServeMux()
	p.server = httptest.NewServer(mux)
	p.Issuer = p.server.URL
	cfg := &op.Config{CodeMethodS256: true, AuthMethodPost: true, SupportedScopes: []string{"openid", "email", "profile", "groups"},
		DefaultLogoutRedirectURI: "/logged-out"}
	rand.Read(cfg.CryptoKey[:])
	prov, err := op.NewOpenIDProvider(p.Issuer, cfg, st, op.WithAllowInsecure())
	if err != nil {
		p.server.Close()
		return nil, err
	}
	callback := op.AuthCallbackURL(prov)
	// The login page: sign the user in at once and go back to the op, or,
	// with LoginForm on, ask for a username first.
	// with LoginForm on, ask for a username first unless this browser
	// still has a session here (single sign-on).
	mux.HandleFunc("GET /login", func(w http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		c, _ := r.Cookie(sessionCookie)
		if st.form() && (c == nil || !st.live(c.Value)) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			loginPage.Execute(w, id)
			return
		}
		if err := st.finish(id, "", true); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, callback(op.ContextWithIssuer(r.Context(), p.Issuer), id), http.StatusFound)
	})
	mux.HandleFunc("POST /login", func(w http.ResponseWriter, r *http.Request) {
		id := r.FormValue("id")
		if err := st.finish(id, r.FormValue("username"), false); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: st.startSession(), Path: "/", HttpOnly: true})
		http.Redirect(w, r, callback(op.ContextWithIssuer(r.Context(), p.Issuer), id), http.StatusFound)
	})
	// Where a sign-out with no registered post_logout_redirect_uri ends.
	mux.HandleFunc("GET /logged-out", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>Signed out - test provider</title><h1 id="provider-signed-out">Signed out of the provider</h1>`))
	})
	mux.Handle("/", prov.HttpHandler())
	return p, nil
}

// Close stops the provider.
func (p *Provider) Close() { p.server.Close() }

// MintForAudience makes the provider treat the client as aud from now on,
// so its ID tokens name aud (and azp aud) instead of the relying party:
// what a misconfigured or hostile issuer would mint.
func (p *Provider) MintForAudience(aud string) { p.st.mu.Lock(); p.st.audience = aud; p.st.mu.Unlock() }

// MintExpired makes later ID tokens expire an hour before they are issued.
func (p *Provider) MintExpired() { p.st.mu.Lock(); p.st.lifetime = -time.Hour; p.st.mu.Unlock() }

// SetRedirect changes the client's one allowed redirect URL (a restarted
// relying party on another port).
func (p *Provider) SetRedirect(u string) { p.st.mu.Lock(); p.st.redirect = u; p.st.mu.Unlock() }

// SetUser makes u the person the provider signs in from now on.
func (p *Provider) SetUser(u User) { p.st.mu.Lock(); p.st.user = u; p.st.mu.Unlock() }

// LoginForm makes the login page a form with a username field that must
// hold the user's Subject or Email, as a browser test types it.
func (p *Provider) LoginForm(on bool) { p.st.mu.Lock(); p.st.loginForm = on; p.st.mu.Unlock() }

// AllowPostLogoutRedirect registers the URLs the client may name as
// post_logout_redirect_uri at the end_session_endpoint (none by default:
// the provider then refuses them, as a real one would).
func (p *Provider) AllowPostLogoutRedirect(uris ...string) {
	p.st.mu.Lock()
	p.st.postLogout = append([]string(nil), uris...)
	p.st.mu.Unlock()
}

// Ended lists the sessions ended by RP-initiated logout, oldest first,
// each as "<subject> <client ID>".
func (p *Provider) Ended() []string {
	p.st.mu.Lock()
	defer p.st.mu.Unlock()
	return append([]string(nil), p.st.ended...)
}

// Reset undoes the knobs.
func (p *Provider) Reset() {
	p.st.mu.Lock()
	p.st.audience, p.st.lifetime = "", 5*time.Minute
	p.st.mu.Unlock()
}

var errNotFound = errors.New("not found")

var loginPage = template.Must(template.New("login").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sign in - test provider</title></head>
<body><h1>Sign in</h1>
<form method="post" action="/login"><input type="hidden" name="id" value="{{.}}">
<label for="username">Username</label> <input id="username" name="username" autocomplete="username">
<button type="submit" id="signin">Sign in</button></form></body></html>`))

type storage struct {
	mu       sync.Mutex
	key      *rsa.PrivateKey
	clientID string
	secret   string
	redirect string
	user     User
	audience string
	lifetime time.Duration
	// loginForm asks for a username instead of signing in at once.
	loginForm bool
	requests  map[string]*authRequest
	codes     map[string]string // code -> request ID
	// sessions are the browsers signed in through the form: session
	// cookie -> subject; ended records terminated sessions.
	sessions   map[string]string
	ended      []string
	postLogout []string
}

// sessionCookie names the provider's own session in the browser.
const sessionCookie = "oidctest_session"

func (s *storage) startSession() string {
	id := randomID()
	s.mu.Lock()
	s.sessions[id] = s.user.Subject
	s.mu.Unlock()
	return id
}

// live: the session exists and is the current user's.
func (s *storage) live(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sub, ok := s.sessions[id]
	return ok && sub == s.user.Subject
}

func (s *storage) form() bool { s.mu.Lock(); defer s.mu.Unlock(); return s.loginForm }

var errUnknownUser = errors.New("unknown username")

// finish signs the user in on request id; with the login form on, the
// typed username must be theirs, unless the browser has a live session.
func (s *storage) finish(id, username string, live bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.requests[id]
	if !ok {
		return errNotFound
	}
	if s.loginForm && !live && (username == "" || (username != s.user.Subject && username != s.user.Email)) {
		return errUnknownUser
	}
	r.subject, r.done, r.authTime = s.user.Subject, true, time.Now()
	return nil
}

func randomID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return encode(b)
}

func encode(b []byte) string {
	const hex = "0123456789abcdef"
	out := make([]byte, 0, len(b)*2)
	for _, c := range b {
		out = append(out, hex[c>>4], hex[c&15])
	}
	return string(out)
}

func (s *storage) CreateAuthRequest(_ context.Context, req *oidc.AuthRequest, _ string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	clientID := req.ClientID
	if s.audience != "" {
		clientID = s.audience
	}
	r := &authRequest{id: randomID(), req: req, clientID: clientID, audience: []string{clientID}}
	if req.CodeChallenge != "" {
		r.challenge = &oidc.CodeChallenge{Challenge: req.CodeChallenge, Method: req.CodeChallengeMethod}
	}
	s.requests[r.id] = r
	return r, nil
}

func (s *storage) AuthRequestByID(_ context.Context, id string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.requests[id]; ok {
		return r, nil
	}
	return nil, errNotFound
}

func (s *storage) AuthRequestByCode(_ context.Context, code string) (op.AuthRequest, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.requests[s.codes[code]]; ok {
		return r, nil
	}
	return nil, errNotFound
}

func (s *storage) SaveAuthCode(_ context.Context, id, code string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.codes[code] = id
	return nil
}

func (s *storage) DeleteAuthRequest(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.requests, id)
	for c, r := range s.codes {
		if r == id {
			delete(s.codes, c)
		}
	}
	return nil
}

func (s *storage) CreateAccessToken(context.Context, op.TokenRequest) (string, time.Time, error) {
	return randomID(), time.Now().Add(5 * time.Minute), nil
}

func (s *storage) CreateAccessAndRefreshTokens(context.Context, op.TokenRequest, string) (string, string, time.Time, error) {
	return "", "", time.Time{}, errors.New("refresh tokens are not offered")
}

func (s *storage) TokenRequestByRefreshToken(context.Context, string) (op.RefreshTokenRequest, error) {
	return nil, op.ErrInvalidRefreshToken
}

// TerminateSession ends every session of the user (the op calls it at
// the end_session_endpoint once the id_token_hint verified).
func (s *storage) TerminateSession(_ context.Context, userID, clientID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for id, sub := range s.sessions {
		if sub == userID {
			delete(s.sessions, id)
		}
	}
	s.ended = append(s.ended, userID+" "+clientID)
	return nil
}

func (s *storage) RevokeToken(context.Context, string, string, string) *oidc.Error { return nil }

func (s *storage) GetRefreshTokenInfo(context.Context, string, string) (string, string, error) {
	return "", "", op.ErrInvalidRefreshToken
}

func (s *storage) SigningKey(context.Context) (op.SigningKey, error) { return signingKey{s.key}, nil }

func (s *storage) SignatureAlgorithms(context.Context) ([]jose.SignatureAlgorithm, error) {
	return []jose.SignatureAlgorithm{jose.RS256}, nil
}

func (s *storage) KeySet(context.Context) ([]op.Key, error) { return []op.Key{publicKey{s.key}}, nil }

func (s *storage) GetClientByClientID(_ context.Context, id string) (op.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.audience != "" && (id == s.clientID || id == s.audience):
		id = s.audience
	case id != s.clientID:
		return nil, errNotFound
	}
	return &client{id: id, redirect: s.redirect, lifetime: s.lifetime, postLogout: s.postLogout}, nil
}

func (s *storage) AuthorizeClientIDSecret(_ context.Context, id, secret string) error {
	if id != s.clientID || secret != s.secret {
		return errors.New("wrong client credentials")
	}
	return nil
}

func (s *storage) SetUserinfoFromScopes(_ context.Context, info *oidc.UserInfo, subject, _ string, scopes []string) error {
	info.Subject = subject
	for _, sc := range scopes {
		switch sc {
		case oidc.ScopeEmail:
			info.Email, info.EmailVerified = s.user.Email, oidc.Bool(s.user.EmailVerified)
		case "groups":
			info.AppendClaims("groups", s.user.Groups)
		}
	}
	return nil
}

func (s *storage) SetUserinfoFromToken(_ context.Context, info *oidc.UserInfo, _, subject, _ string) error {
	info.Subject, info.Email = subject, s.user.Email
	return nil
}

func (s *storage) SetIntrospectionFromToken(context.Context, *oidc.IntrospectionResponse, string, string, string) error {
	return errors.New("introspection is not offered")
}

func (s *storage) GetPrivateClaimsFromScopes(context.Context, string, string, []string) (map[string]any, error) {
	return nil, nil
}

func (s *storage) GetKeyByIDAndClientID(context.Context, string, string) (*jose.JSONWebKey, error) {
	return nil, errNotFound
}

func (s *storage) ValidateJWTProfileScopes(context.Context, string, []string) ([]string, error) {
	return nil, errors.New("JWT profile is not offered")
}

func (s *storage) Health(context.Context) error { return nil }

type signingKey struct{ k *rsa.PrivateKey }

func (k signingKey) SignatureAlgorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k signingKey) Key() any                                    { return k.k }
func (k signingKey) ID() string                                  { return "test-key" }

type publicKey struct{ k *rsa.PrivateKey }

func (k publicKey) ID() string                         { return "test-key" }
func (k publicKey) Algorithm() jose.SignatureAlgorithm { return jose.RS256 }
func (k publicKey) Use() string                        { return "sig" }
func (k publicKey) Key() any                           { return &k.k.PublicKey }

type authRequest struct {
	id        string
	req       *oidc.AuthRequest
	clientID  string
	audience  []string
	challenge *oidc.CodeChallenge
	subject   string
	done      bool
	authTime  time.Time
}

func (a *authRequest) GetID() string                         { return a.id }
func (a *authRequest) GetACR() string                        { return "" }
func (a *authRequest) GetAMR() []string                      { return []string{"pwd"} }
func (a *authRequest) GetAudience() []string                 { return a.audience }
func (a *authRequest) GetAuthTime() time.Time                { return a.authTime }
func (a *authRequest) GetClientID() string                   { return a.clientID }
func (a *authRequest) GetCodeChallenge() *oidc.CodeChallenge { return a.challenge }
func (a *authRequest) GetNonce() string                      { return a.req.Nonce }
func (a *authRequest) GetRedirectURI() string                { return a.req.RedirectURI }
func (a *authRequest) GetResponseType() oidc.ResponseType    { return a.req.ResponseType }
func (a *authRequest) GetResponseMode() oidc.ResponseMode    { return a.req.ResponseMode }
func (a *authRequest) GetScopes() []string                   { return a.req.Scopes }
func (a *authRequest) GetState() string                      { return a.req.State }
func (a *authRequest) GetSubject() string                    { return a.subject }
func (a *authRequest) Done() bool                            { return a.done }

type client struct {
	id         string
	redirect   string
	lifetime   time.Duration
	postLogout []string
}

func (c *client) GetID() string                       { return c.id }
func (c *client) RedirectURIs() []string              { return []string{c.redirect} }
func (c *client) PostLogoutRedirectURIs() []string    { return c.postLogout }
func (c *client) ApplicationType() op.ApplicationType { return op.ApplicationTypeWeb }
func (c *client) AuthMethod() oidc.AuthMethod         { return oidc.AuthMethodBasic }
func (c *client) ResponseTypes() []oidc.ResponseType {
	return []oidc.ResponseType{oidc.ResponseTypeCode}
}
func (c *client) GrantTypes() []oidc.GrantType         { return []oidc.GrantType{oidc.GrantTypeCode} }
func (c *client) LoginURL(id string) string            { return "/login?id=" + id }
func (c *client) AccessTokenType() op.AccessTokenType  { return op.AccessTokenTypeBearer }
func (c *client) IDTokenLifetime() time.Duration       { return c.lifetime }
func (c *client) DevMode() bool                        { return true } // http redirect URIs on loopback
func (c *client) IsScopeAllowed(string) bool           { return true }
func (c *client) IDTokenUserinfoClaimsAssertion() bool { return true }
func (c *client) ClockSkew() time.Duration             { return 0 }
func (c *client) RestrictAdditionalIdTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
func (c *client) RestrictAdditionalAccessTokenScopes() func([]string) []string {
	return func(s []string) []string { return s }
}
