package http

import (
	"context"
	"net/http"
	"strings"

	"github.com/openova-io/openova/internal/oidclogin"
	"github.com/openova-io/openova/internal/wizard"
)

// idTokenContext binds a session's sealed ID token to that session's row.
func idTokenContext(sess *wizard.Session) string { return "session-id-token/" + sess.TokenHash }

// signedOutPath is where the identity provider sends the browser after
// ending its session: register <wizard URL>/signedout with the client as
// a post-logout redirect URI.
const signedOutPath = "/signedout"

func (s *Server) endSessionEndpoint() string {
	if s.OIDC == nil {
		return ""
	}
	return s.OIDC.RP.GetEndSessionEndpoint()
}

// csp is the pages' Content-Security-Policy; its form-action lets the
// sign-out form reach the provider (oidclogin.FormAction).
func csp(endSession string) string {
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action " + oidclogin.FormAction(endSession)
}

// logout ends the wizard's session. A single sign-on session ends at the
// identity provider too (OpenID Connect RP-initiated logout): the page's
// form is redirected to the provider's end_session_endpoint, which sends
// the browser back to /signedout; the API answers that URL in JSON for
// the caller to open. A local user's sign-out stays local.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	p := who(r)
	if err := s.Store.DeleteSession(r.Context(), p.session.TokenHash); err != nil {
		s.fail(w, r, err)
		return
	}
	s.audit(r.Context(), p, "logout", p.user.Name)
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteStrictMode})
	end, err := s.endSessionURL(r.Context(), p.session)
	if err != nil { // the wizard's session is over all the same
		s.Logger.WarnContext(r.Context(), "single sign-out at the identity provider failed", "user", p.user.Name, "err", err)
	}
	sso := p.session.IDToken != nil
	switch api := strings.HasPrefix(r.URL.Path, "/api/"); {
	case api && end != "":
		writeJSON(w, http.StatusOK, map[string]string{"endSessionURL": end})
	case api:
		w.WriteHeader(http.StatusNoContent)
	case end != "":
		http.Redirect(w, r, end, http.StatusFound)
	case sso: // signed out: the page's header shows no one
		s.render(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, nil)), "signedout", map[string]any{"ProviderToo": false})
	default:
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}
}

// endSessionURL is the provider's end-session request for a single
// sign-on session ("" for a local one, or when the provider offers no
// end_session_endpoint), oidclogin.Flow.EndSession: the API hands it back
// only to the session's own holder, as the page's redirect would.
func (s *Server) endSessionURL(ctx context.Context, sess *wizard.Session) (string, error) {
	endpoint := s.endSessionEndpoint()
	if sess.IDToken == nil || endpoint == "" {
		return "", nil
	}
	idToken, err := s.Sealer.Open(sess.IDToken, idTokenContext(sess))
	if err != nil {
		return "", wizard.Errorf(wizard.EINTERNAL, "the session's ID token does not open with this wizard's key")
	}
	f := s.flow()
	return f.EndSession(string(idToken), f.PostLogoutURL(signedOutPath))
}

// signedOut is where the provider sends the browser after ending its
// session: a static page, with nothing to protect (the state is not
// checked).
func (s *Server) signedOut(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "signedout", map[string]any{"ProviderToo": true})
}
