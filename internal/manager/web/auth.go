package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
)

// Authorizer decides who may use the dashboard and its actions:
// TokenAuth (an admin token) or OIDCAuth (an OIDC admin group).
type Authorizer interface {
	// Admin reports who sent the request if they are a platform admin.
	Admin(r *http.Request) (who string, ok bool)
	// CSRF is the token a form posted by who must carry; "" when the
	// request was not authenticated by a cookie (a bearer header cannot
	// be forged across sites).
	CSRF(r *http.Request) string
}

const sessionCookie = "catalyst_admin"

// TokenAuth admits a request bearing the admin token (Authorization:
// Bearer) or the session cookie /login sets from it. The cookie holds an
// HMAC of the token, never the token itself.
type TokenAuth struct{ Token string }

func (a TokenAuth) mac(purpose string) string {
	m := hmac.New(sha256.New, []byte(a.Token))
	m.Write([]byte("catalyst-manager/" + purpose))
	return hex.EncodeToString(m.Sum(nil))
}

func (a TokenAuth) Admin(r *http.Request) (string, bool) {
	if a.Token == "" {
		return "", false
	}
	if h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return "admin-token", subtle.ConstantTimeCompare([]byte(h), []byte(a.Token)) == 1
	}
	if c, err := r.Cookie(sessionCookie); err == nil {
		return "admin-session", hmac.Equal([]byte(c.Value), []byte(a.mac("session")))
	}
	return "", false
}

func (a TokenAuth) CSRF(r *http.Request) string {
	if _, err := r.Cookie(sessionCookie); err != nil || r.Header.Get("Authorization") != "" {
		return ""
	}
	return a.mac("csrf")
}

// login checks a submitted token and sets the session cookie.
func (a TokenAuth) login(w http.ResponseWriter, r *http.Request, token string) bool {
	if a.Token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(a.Token)) != 1 {
		return false
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: a.mac("session"), Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https", MaxAge: 8 * 3600})
	return true
}

// logout clears the session cookie /login set.
func (a TokenAuth) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https", MaxAge: -1})
}

// sameOrigin refuses a cross-site form post: Origin, when the browser
// sends it, must name this host.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}
