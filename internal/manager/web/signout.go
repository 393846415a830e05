package web

import (
	"net/http"

	"github.com/openova-io/openova/internal/oidclogin"
)

// SignedOutPath is where the identity provider sends the browser after
// ending its session: register <external URL>/signedout with the client
// as a post-logout redirect URI.
const SignedOutPath = "/signedout"

// csp is the dashboard's Content-Security-Policy; its form-action lets
// the sign-out form reach the provider (oidclogin.FormAction; endSession
// is "" without single sign-on).
func csp(endSession string) string {
	return "default-src 'self'; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action " + oidclogin.FormAction(endSession)
}

// logout ends the dashboard session: a token session's cookie is
// cleared; an OIDC session ends at the identity provider too, which sends
// the browser back to /signedout. A signed-in browser must post the
// form's CSRF token, so another site cannot sign an admin out.
func (s *server) logout(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.auth.Admin(r); ok {
		if want := s.auth.CSRF(r); !sameOrigin(r) || (want != "" && r.PostFormValue("csrf") != want) {
			http.Error(w, "missing or stale form token: reload the page and try again", http.StatusForbidden)
			return
		}
	}
	switch a := s.auth.(type) {
	case *OIDCAuth:
		if a.signOut(w, r) {
			return
		}
		s.render(w, r, "signedout", http.StatusOK, map[string]any{"ProviderToo": false, "CSRF": ""})
	case TokenAuth:
		a.logout(w, r)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	default:
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}
}

// signedOut is the static page the provider sends the browser back to;
// the state it carries is not checked (there is nothing to protect).
func (s *server) signedOut(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "signedout", http.StatusOK, map[string]any{"ProviderToo": true})
}
