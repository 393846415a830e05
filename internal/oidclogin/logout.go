package oidclogin

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
)

// Logout ends the person's session at the identity provider as well
// (OpenID Connect RP-Initiated Logout 1.0): it redirects the browser to
// the end_session_endpoint of the provider's discovery document with
// id_token_hint (the session's ID token), client_id,
// post_logout_redirect_uri (register it with the provider) and a random
// state, and the provider sends the browser back there once its session
// is over. It returns false, writing nothing, when the provider announces
// no end_session_endpoint: the caller then shows its own signed-out page.
// The caller clears its own session first. The state is not checked on
// return: the page it lands on is a static "signed out" page with nothing
// to protect.
func (f *Flow) Logout(w http.ResponseWriter, r *http.Request, idToken, postLogoutRedirect string) (bool, error) {
	u, err := f.EndSession(idToken, postLogoutRedirect)
	if err != nil || u == "" {
		return false, err
	}
	http.Redirect(w, r, u, http.StatusFound)
	return true, nil
}

// EndSession is Logout's end-session request as a URL, for an API that
// hands it to its caller rather than redirecting: "" when the provider
// announces no end_session_endpoint. It carries the ID token
// (id_token_hint): give it only to the session's own holder.
func (f *Flow) EndSession(idToken, postLogoutRedirect string) (string, error) {
	endpoint := f.RP.GetEndSessionEndpoint()
	if endpoint == "" {
		return "", nil
	}
	b := make([]byte, 16)
	if _, err := io.ReadFull(f.Random, b); err != nil {
		return "", fmt.Errorf("single sign-out: read randomness: %w", err)
	}
	return EndSessionURL(endpoint, f.RP.OAuthConfig().ClientID, idToken, postLogoutRedirect, base64.RawURLEncoding.EncodeToString(b))
}

// FormAction is a page's CSP form-action sources: 'self', and the origin
// of the provider's end_session_endpoint when there is one. Browsers
// apply form-action to the redirects that follow a form's submission
// too, so without it a sign-out form could not reach the provider.
func FormAction(endSession string) string {
	if u, err := url.Parse(endSession); err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http") {
		return "'self' " + u.Scheme + "://" + u.Host
	}
	return "'self'"
}

// EndSessionURL is the end-session request: the endpoint with
// id_token_hint (when known), client_id, post_logout_redirect_uri (when
// given) and state added to its own query.
func EndSessionURL(endpoint, clientID, idToken, postLogoutRedirect, state string) (string, error) {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("single sign-out: the provider's end_session_endpoint %q is not an http(s) URL", endpoint)
	}
	q := u.Query()
	for k, v := range map[string]string{"id_token_hint": idToken, "client_id": clientID,
		"post_logout_redirect_uri": postLogoutRedirect, "state": state} {
		if v != "" {
			q.Set(k, v)
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// PostLogoutURL is the absolute URL of path on the relying party's own
// site (the origin of its redirect URL): where a provider sends the
// browser after sign-out.
func (f *Flow) PostLogoutURL(path string) string {
	u, err := url.Parse(f.RP.OAuthConfig().RedirectURL)
	if err != nil {
		return ""
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: path}).String()
}
