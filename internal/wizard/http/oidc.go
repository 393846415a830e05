package http

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/zitadel/oidc/v3/pkg/client/rp"
	"github.com/zitadel/oidc/v3/pkg/oidc"

	"github.com/openova-io/openova/internal/wizard"
)

// OIDC is single sign-on by OpenID Connect with any issuer: the
// authorisation code flow with PKCE, state and nonce. A person's account is
// their issuer + subject; the first sign-in places them in an organisation
// by a verified email domain or a group claim, and is refused otherwise.
type OIDC struct {
	RP rp.RelyingParty
	// OrgByEmailDomain maps a verified email's domain to an organisation name.
	OrgByEmailDomain map[string]string
	// OrgByGroup maps a value of GroupClaim to an organisation name.
	OrgByGroup map[string]string
	GroupClaim string // default "groups"
}

// NewRelyingParty discovers the issuer and builds the relying party,
// asking for openid, email, profile and extraScopes (e.g. "groups" where the
// issuer offers it). The client secret is passed in memory only.
func NewRelyingParty(ctx context.Context, issuer, clientID, clientSecret, redirectURL string, extraScopes []string, hc *http.Client) (rp.RelyingParty, error) {
	opts := []rp.Option{rp.WithVerifierOpts(rp.WithNonce(nonceFrom))}
	if hc != nil {
		opts = append(opts, rp.WithHTTPClient(hc))
	}
	scopes := append([]string{oidc.ScopeOpenID, oidc.ScopeEmail, oidc.ScopeProfile}, extraScopes...)
	r, err := rp.NewRelyingPartyOIDC(ctx, issuer, clientID, clientSecret, redirectURL, scopes, opts...)
	if err != nil {
		return nil, fmt.Errorf("--oidc-issuer %s: discovery: %w", issuer, err)
	}
	return r, nil
}

type nonceKey struct{}

func nonceFrom(ctx context.Context) string { n, _ := ctx.Value(nonceKey{}).(string); return n }

// oidcCookie carries state, nonce and PKCE verifier between the redirect
// and the callback, sealed so a browser can neither read nor forge it.
const oidcCookie = "catalyst_oidc"

type oidcFlow struct {
	State, Nonce, Verifier, Next string
	Expires                      time.Time
}

func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) {
	var f oidcFlow
	for _, p := range []*string{&f.State, &f.Nonce, &f.Verifier} {
		t, err := s.token()
		if err != nil {
			s.pageError(w, r, err)
			return
		}
		*p = t
	}
	f.Next = safeNext(r.URL.Query().Get("next"))
	f.Expires = s.Now().Add(10 * time.Minute)
	plain, _ := json.Marshal(f)
	sealed, err := s.Sealer.Seal(plain, oidcCookie)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	// Lax, not Strict: the callback is a navigation from the issuer's site.
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: base64.RawURLEncoding.EncodeToString(sealed), Path: "/login/oidc",
		MaxAge: 600, HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	sum := sha256.Sum256([]byte(f.Verifier))
	u := rp.AuthURL(f.State, s.OIDC.RP, rp.WithCodeChallenge(base64.RawURLEncoding.EncodeToString(sum[:])),
		rp.AuthURLOpt(rp.WithURLParam("nonce", f.Nonce)))
	http.Redirect(w, r, u, http.StatusFound)
}

func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		return "/"
	}
	return next
}

// oidcCallback finishes the flow; every refusal is shown on the sign-in
// page, never with a token in it.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	u, next, err := s.oidcFinish(r)
	http.SetCookie(w, &http.Cookie{Name: oidcCookie, Value: "", Path: "/login/oidc", MaxAge: -1, HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	if err == nil {
		err = s.startSession(w, r, u)
	}
	if err != nil {
		s.Logger.WarnContext(r.Context(), "single sign-on refused", "err", err)
		w.WriteHeader(status[wizard.ErrorCode(err)])
		s.render(w, r, "login", map[string]any{"Error": err.Error(), "Next": next})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) oidcFinish(r *http.Request) (*wizard.User, string, error) {
	refused := func(format string, a ...any) error {
		return wizard.Errorf(wizard.EUNAUTHORIZED, "single sign-on refused: "+format, a...)
	}
	if e := r.URL.Query().Get("error"); e != "" {
		return nil, "/", refused("the identity provider answered %q", e)
	}
	c, err := r.Cookie(oidcCookie)
	if err != nil {
		return nil, "/", refused("the sign-in started elsewhere or took over 10 minutes; start again")
	}
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		return nil, "/", refused("damaged sign-in cookie; start again")
	}
	plain, err := s.Sealer.Open(raw, oidcCookie)
	var f oidcFlow
	if err != nil || json.Unmarshal(plain, &f) != nil {
		return nil, "/", refused("damaged sign-in cookie; start again")
	}
	if s.Now().After(f.Expires) {
		return nil, f.Next, refused("the sign-in took over 10 minutes; start again")
	}
	if subtle.ConstantTimeCompare([]byte(r.URL.Query().Get("state")), []byte(f.State)) != 1 {
		return nil, f.Next, refused("state does not match this browser's sign-in")
	}
	ctx := context.WithValue(r.Context(), nonceKey{}, f.Nonce)
	tokens, err := rp.CodeExchange[*oidc.IDTokenClaims](ctx, r.URL.Query().Get("code"), s.OIDC.RP, rp.WithCodeVerifier(f.Verifier))
	if err != nil {
		return nil, f.Next, refused("the ID token did not verify (%v)", err)
	}
	u, err := s.oidcUser(r.Context(), tokens.IDTokenClaims)
	return u, f.Next, err
}

// oidcUser finds the account of issuer + subject, or creates it in the
// organisation its email domain or group maps to.
func (s *Server) oidcUser(ctx context.Context, c *oidc.IDTokenClaims) (*wizard.User, error) {
	u, err := s.Store.UserBySubject(ctx, c.Issuer, c.Subject)
	if err == nil || wizard.ErrorCode(err) != wizard.ENOTFOUND {
		return u, err
	}
	orgName := s.OIDC.orgFor(c)
	if orgName == "" {
		return nil, wizard.Errorf(wizard.EFORBIDDEN, "single sign-on: %s is in no organisation of this wizard; an admin maps its email domain (--oidc-org-by-email-domain) or group (--oidc-org-by-group)", displayName(c))
	}
	org, err := s.Store.OrgByName(ctx, orgName)
	if wizard.ErrorCode(err) == wizard.ENOTFOUND {
		id, _ := wizard.NewID(s.Random)
		org = &wizard.Org{ID: id, Name: orgName, Created: s.Now()}
		err = s.Store.CreateOrg(ctx, org)
	}
	if err != nil {
		return nil, err
	}
	id, err := wizard.NewID(s.Random)
	if err != nil {
		return nil, err
	}
	u = &wizard.User{ID: id, OrgID: org.ID, Name: displayName(c), Issuer: c.Issuer, Subject: c.Subject, Created: s.Now()}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		if wizard.ErrorCode(err) == wizard.ECONFLICT {
			return nil, wizard.Errorf(wizard.ECONFLICT, "single sign-on: a user named %s already exists; an admin renames or removes it", u.Name)
		}
		return nil, err
	}
	return u, nil
}

func displayName(c *oidc.IDTokenClaims) string {
	if c.Email != "" {
		return c.Email
	}
	return c.Issuer + "#" + c.Subject
}

func (o *OIDC) orgFor(c *oidc.IDTokenClaims) string {
	if bool(c.EmailVerified) {
		if _, domain, ok := strings.Cut(c.Email, "@"); ok {
			if org := o.OrgByEmailDomain[strings.ToLower(domain)]; org != "" {
				return org
			}
		}
	}
	claim := o.GroupClaim
	if claim == "" {
		claim = "groups"
	}
	groups, _ := c.Claims[claim].([]any)
	var names []string
	for _, g := range groups {
		if s, ok := g.(string); ok {
			names = append(names, s)
		}
	}
	slices.Sort(names) // deterministic when several groups map
	for _, g := range names {
		if org := o.OrgByGroup[g]; org != "" {
			return org
		}
	}
	return ""
}
