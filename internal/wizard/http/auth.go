package http

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"

	"golang.org/x/crypto/bcrypt"

	"github.com/openova-io/openova/internal/oidclogin"
	"github.com/openova-io/openova/internal/wizard"
)

// CookieName is the session cookie.
const CookieName = "catalyst_session"

// principal is the signed-in user of a request.
type principal struct {
	user    *wizard.User
	session *wizard.Session
}

type principalKey struct{}

func who(r *http.Request) *principal { return r.Context().Value(principalKey{}).(*principal) }

// token returns a random URL-safe token of 32 bytes.
func (s *Server) token() (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(s.Random, b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

// authenticate resolves the session cookie and, for a state change,
// checks the CSRF token (header X-CSRF-Token, or form field csrf).
func (s *Server) authenticate(r *http.Request) (*principal, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil, wizard.Errorf(wizard.EUNAUTHORIZED, "sign in first")
	}
	sess, err := s.Store.Session(r.Context(), hashToken(c.Value), s.Now())
	if err != nil {
		if wizard.ErrorCode(err) == wizard.ENOTFOUND {
			return nil, wizard.Errorf(wizard.EUNAUTHORIZED, "your session has ended; sign in again")
		}
		return nil, err
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		got := r.Header.Get("X-CSRF-Token")
		if got == "" {
			got = r.PostFormValue("csrf")
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRF)) != 1 {
			return nil, wizard.Errorf(wizard.EFORBIDDEN, "missing or wrong CSRF token: reload the page")
		}
	}
	u, err := s.userByID(r.Context(), sess)
	if err != nil {
		return nil, err
	}
	return &principal{user: u, session: sess}, nil
}

func (s *Server) userByID(ctx context.Context, sess *wizard.Session) (*wizard.User, error) {
	u, err := s.Store.UserByID(ctx, sess.UserID)
	if err != nil {
		return nil, wizard.Errorf(wizard.EUNAUTHORIZED, "your account no longer exists")
	}
	return u, nil
}

// auth wraps an API handler: 401/403 as JSON.
func (s *Server) auth(h func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// authPage wraps a page: a visitor without a session goes to /login.
func (s *Server) authPage(h func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.Path), http.StatusSeeOther)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// authForm wraps a page's form post: a missing session or CSRF token is
// shown as an error page (a redirect would lose the refusal).
func (s *Server) authForm(h func(http.ResponseWriter, *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := s.authenticate(r)
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	})
}

// signIn checks a local password, rate limited per client address and per
// user name, and starts a session.
func (s *Server) signIn(w http.ResponseWriter, r *http.Request, name, password string) error {
	if o := r.Header.Get("Origin"); o != "" && !sameOrigin(o, r.Host) {
		return wizard.Errorf(wizard.EFORBIDDEN, "sign-in from another site (Origin %s) refused", o)
	}
	ip := clientIP(r)
	now := s.Now()
	user := userKey(name)
	u, err := s.Store.UserByName(r.Context(), name)
	until, terr := s.throttle.admit(r.Context(), now, ipKey(ip), user)
	if terr != nil {
		return terr // fail closed: no password is checked without the limit
	}
	if !until.IsZero() {
		if err == nil {
			s.auditSignIn(r, u, "login.refused", ip)
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(until.Sub(now).Seconds()))))
		return tooMany(now, until)
	}
	if err != nil || u.PasswordHash == "" || bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil {
		if ferr := s.throttle.fail(r.Context(), now); ferr != nil {
			return ferr
		}
		if err == nil { // an unknown name belongs to no organisation's trail
			s.auditSignIn(r, u, "login.failed", ip)
		}
		return wizard.Errorf(wizard.EUNAUTHORIZED, "wrong user name or password")
	}
	if err := s.throttle.succeed(r.Context(), ipKey(ip), user); err != nil {
		return err
	}
	if err := s.enabled(r, u, ip); err != nil {
		return err
	}
	return s.startSession(w, r, u, "")
}

// auditSignIn records a refused sign-in of a known user in their
// organisation's trail, with the client address (never the password).
func (s *Server) auditSignIn(r *http.Request, u *wizard.User, action, ip string) {
	s.audit(r.Context(), &principal{user: u, session: &wizard.Session{OrgID: u.OrgID}}, action, "from "+ip)
}

// enabled refuses a disabled user's sign-in, told only once the password
// (or the issuer) has proved who they are, and audits it.
func (s *Server) enabled(r *http.Request, u *wizard.User, from string) error {
	if u.Disabled.IsZero() {
		return nil
	}
	s.auditSignIn(r, u, "login.disabled", from)
	return wizard.Errorf(wizard.EFORBIDDEN, "your account is disabled; an admin of your organisation can enable it")
}

// startSession signs u in; idToken is the single sign-on's ID token ("" for
// a local sign-in), kept sealed with the session for sign-out.
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, u *wizard.User, idToken string) error {
	tok, err := s.token()
	if err != nil {
		return err
	}
	csrf, err := s.token()
	if err != nil {
		return err
	}
	sess := &wizard.Session{TokenHash: hashToken(tok), UserID: u.ID, OrgID: u.OrgID, CSRF: csrf, Expires: s.Now().Add(s.SessionTTL)}
	if idToken != "" {
		if sess.IDToken, err = s.Sealer.Seal([]byte(idToken), idTokenContext(sess)); err != nil {
			return err
		}
	}
	if err := s.Store.CreateSession(r.Context(), sess); err != nil {
		return err
	}
	if err := s.Store.RecordLogin(r.Context(), u.ID, s.Now()); err != nil {
		return fmt.Errorf("record the sign-in: %w", err)
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: tok, Path: "/", Expires: sess.Expires, HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteStrictMode})
	s.audit(r.Context(), &principal{user: u, session: sess}, "login", u.Name)
	return nil
}

func (s *Server) loginAPI(w http.ResponseWriter, r *http.Request) {
	var body struct{ Username, Password string }
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&body); err != nil {
		s.fail(w, r, wizard.Errorf(wizard.EINVALID, "body must be {\"username\": ..., \"password\": ...}"))
		return
	}
	if err := s.signIn(w, r, body.Username, body.Password); err != nil {
		s.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	if err := s.signIn(w, r, r.PostFormValue("username"), r.PostFormValue("password")); err != nil {
		w.WriteHeader(status[wizard.ErrorCode(err)])
		s.render(w, r, "login", map[string]any{"Error": err.Error(), "Next": r.PostFormValue("next")})
		return
	}
	http.Redirect(w, r, oidclogin.SafeNext(r.PostFormValue("next"), "/"), http.StatusSeeOther)
}

func (s *Server) sessionInfo(w http.ResponseWriter, r *http.Request) {
	p := who(r)
	writeJSON(w, http.StatusOK, map[string]any{"user": p.user.Name, "role": p.user.Role, "org": p.session.OrgID, "csrf": p.session.CSRF, "expires": p.session.Expires})
}

func sameOrigin(origin, host string) bool {
	u, err := url.Parse(origin)
	return err == nil && u.Host == host
}

// clientIP is the peer address. Behind a reverse proxy every client shares
// the proxy's address, so the per-user limit is what protects accounts.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
