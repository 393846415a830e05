package web

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"

	"github.com/openova-io/openova/internal/oidclogin"
)

// OIDCAuth admits members of AdminGroup signed in with OpenID Connect
// (oidclogin's code flow); the session is a sealed, HttpOnly, SameSite=Lax
// cookie carrying who, until when, and the session's CSRF token. The
// group is checked at sign-in: a person outside it gets no session.
type OIDCAuth struct {
	// Flow's Cookie and Path are "catalyst_oidc_flow" and CallbackPath
	// (NewOIDCAuth sets them).
	Flow       *oidclogin.Flow
	Sealer     oidclogin.Sealer
	AdminGroup string
	TTL        time.Duration // default 8h
	Now        func() time.Time
	Random     io.Reader
	Secure     bool
}

// NewOIDCAuth is the dashboard's OIDC sign-in through relying, admitting
// adminGroup (read from groupsClaim; "" is the default claim), with the
// system clock and randomness; secure marks the cookies Secure (https).
func NewOIDCAuth(relying rp.RelyingParty, sealer oidclogin.Sealer, adminGroup, groupsClaim string, secure bool) *OIDCAuth {
	return &OIDCAuth{AdminGroup: adminGroup, Sealer: sealer, Now: time.Now, Random: rand.Reader, Secure: secure,
		Flow: &oidclogin.Flow{RP: relying, Sealer: sealer, Now: time.Now, Random: rand.Reader, Cookie: "catalyst_oidc_flow",
			Path: CallbackPath, Secure: secure, GroupsClaim: groupsClaim}}
}

// CallbackPath is where the identity provider sends the browser back;
// register <external URL>/login/callback as the client's redirect URL.
const CallbackPath = "/login/callback"

const oidcSession = "catalyst_session"

type session struct {
	Who     string    `json:"who"`
	Expires time.Time `json:"exp"`
	CSRF    string    `json:"csrf"`
	// IDToken names the session to the identity provider at sign-out
	// (the cookie is sealed; never logged).
	IDToken string `json:"idt,omitempty"`
}

func (a *OIDCAuth) read(r *http.Request) (session, bool) {
	c, err := r.Cookie(oidcSession)
	if err != nil {
		return session{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return session{}, false
	}
	plain, err := a.Sealer.Open(raw, oidcSession)
	var s session
	if err != nil || json.Unmarshal(plain, &s) != nil || !a.Now().Before(s.Expires) {
		return session{}, false
	}
	return s, true
}

func (a *OIDCAuth) Admin(r *http.Request) (string, bool) {
	s, ok := a.read(r)
	return s.Who, ok
}

func (a *OIDCAuth) CSRF(r *http.Request) string {
	s, _ := a.read(r)
	return s.CSRF
}

// StartLogin sends the browser to the identity provider.
func (a *OIDCAuth) StartLogin(w http.ResponseWriter, r *http.Request) {
	if err := a.Flow.Start(w, r, r.URL.Query().Get("next")); err != nil {
		slog.ErrorContext(r.Context(), "start single sign-on", "err", err)
		http.Error(w, "single sign-on is unavailable; try again", http.StatusBadGateway)
	}
}

// FinishLogin verifies the callback, checks the admin group and sets the session.
func (a *OIDCAuth) FinishLogin(w http.ResponseWriter, r *http.Request) {
	id, next, err := a.Flow.Finish(w, r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	if !slices.Contains(id.Groups, a.AdminGroup) {
		slog.InfoContext(r.Context(), "dashboard sign-in refused: not in the admin group", "who", id.DisplayName(), "group", a.AdminGroup)
		http.Error(w, fmt.Sprintf("%s is not in the %s group, which administers this platform", id.DisplayName(), a.AdminGroup), http.StatusForbidden)
		return
	}
	csrf := make([]byte, 32)
	if _, err := io.ReadFull(a.Random, csrf); err != nil {
		http.Error(w, "cannot start a session", http.StatusInternalServerError)
		return
	}
	ttl := a.TTL
	if ttl == 0 {
		ttl = 8 * time.Hour
	}
	plain, _ := json.Marshal(session{Who: id.DisplayName(), Expires: a.Now().Add(ttl), CSRF: hex.EncodeToString(csrf), IDToken: id.IDToken})
	sealed, err := a.Sealer.Seal(plain, oidcSession)
	if err != nil {
		http.Error(w, "cannot start a session", http.StatusInternalServerError)
		return
	}
	// Lax: the first page after the callback is a navigation from the issuer.
	http.SetCookie(w, &http.Cookie{Name: oidcSession, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: "/",
		MaxAge: int(ttl / time.Second), HttpOnly: true, Secure: a.Secure, SameSite: http.SameSiteLaxMode})
	slog.InfoContext(r.Context(), "dashboard sign-in", "who", id.DisplayName())
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signOut clears the session cookie, then ends the provider's session
// too (RP-initiated logout) when it offers an end_session_endpoint: the
// browser is redirected there and comes back to SignedOutPath (ended
// true). Otherwise it writes nothing more.
func (a *OIDCAuth) signOut(w http.ResponseWriter, r *http.Request) (ended bool) {
	s, ok := a.read(r)
	http.SetCookie(w, &http.Cookie{Name: oidcSession, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: a.Secure, SameSite: http.SameSiteLaxMode})
	if !ok {
		return false
	}
	ended, err := a.Flow.Logout(w, r, s.IDToken, a.Flow.PostLogoutURL(SignedOutPath))
	if err != nil {
		slog.WarnContext(r.Context(), "dashboard sign-out at the identity provider failed", "who", s.Who, "err", err)
	}
	slog.InfoContext(r.Context(), "dashboard sign-out", "who", s.Who, "provider", ended)
	return ended
}
