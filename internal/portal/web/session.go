package portalweb

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// session is who is signed in, sealed into a cookie: the portal keeps no
// session store, so replicas share sign-ins with no database. It holds
// only the groups that map to a team, which keeps the cookie small and
// says nothing about the person's other groups.
type session struct {
	Issuer, Subject, Email string
	Groups                 []string
	CSRF                   string // the token every POST must carry
	Expires                time.Time
	// IDToken names the provider's session at sign-out (id_token_hint);
	// sealed like the rest, never logged.
	IDToken string `json:",omitempty"`
}

// User is the name shown and recorded as RequestedBy.
func (s *session) User() string {
	if s.Email != "" {
		return s.Email
	}
	return s.Issuer + "#" + s.Subject
}

const sessionCookie = "catalyst_portal"

func (h *handler) setSession(w http.ResponseWriter, s *session) error {
	plain, _ := json.Marshal(s)
	sealed, err := h.cfg.Sealer.Seal(plain, sessionCookie)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: h.prefix + "/",
		MaxAge: int(h.cfg.SessionTTL / time.Second), HttpOnly: true, Secure: h.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
	return nil
}

func (h *handler) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: h.prefix + "/", MaxAge: -1,
		HttpOnly: true, Secure: h.cfg.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// sessionOf returns the request's live session, or nil.
func (h *handler) sessionOf(r *http.Request) *session {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil
	}
	plain, err := h.cfg.Sealer.Open(raw, sessionCookie)
	if err != nil {
		return nil
	}
	var s session
	if json.Unmarshal(plain, &s) != nil || !h.cfg.Now().Before(s.Expires) || s.CSRF == "" {
		return nil
	}
	return &s
}

// csrfOK checks a POST's token: the form field csrf, or the X-CSRF-Token
// header of the JSON API. SameSite=Lax already keeps cross-site posts
// cookieless in current browsers; the token covers the rest.
func csrfOK(r *http.Request, s *session) bool {
	t := r.Header.Get("X-CSRF-Token")
	if t == "" {
		t = r.PostFormValue("csrf")
	}
	return t != "" && subtle.ConstantTimeCompare([]byte(t), []byte(s.CSRF)) == 1
}

func randomToken(random io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
