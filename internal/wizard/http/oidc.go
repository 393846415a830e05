package http

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/client/rp"

	"github.com/openova-io/openova/internal/oidclogin"
	"github.com/openova-io/openova/internal/wizard"
)

// OIDC is single sign-on by OpenID Connect with any issuer through
// internal/oidclogin (code flow with PKCE, state, nonce). A person's account is
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

// NewRelyingParty discovers the issuer and builds the relying party
// (internal/oidclogin), asking for openid, email, profile and extraScopes.
func NewRelyingParty(ctx context.Context, issuer, clientID, clientSecret, redirectURL string, extraScopes []string, hc *http.Client) (rp.RelyingParty, error) {
	r, err := oidclogin.NewRelyingParty(ctx, issuer, clientID, clientSecret, redirectURL, extraScopes, hc)
	if err != nil {
		return nil, fmt.Errorf("--oidc-issuer %s: %w", issuer, err)
	}
	return r, nil
}

// flow is the sign-in of internal/oidclogin over this server's sealer,
// clock and randomness; its cookie travels only to /login/oidc.
func (s *Server) flow() *oidclogin.Flow {
	return &oidclogin.Flow{RP: s.OIDC.RP, Sealer: s.Sealer, Now: s.Now, Random: s.Random,
		Cookie: "catalyst_oidc", Path: "/login/oidc", Secure: s.SecureCookies, GroupsClaim: s.OIDC.GroupClaim}
}

func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) {
	if err := s.flow().Start(w, r, r.URL.Query().Get("next")); err != nil {
		s.pageError(w, r, err)
	}
}

// oidcCallback finishes the flow; every refusal is shown on the sign-in
// page, never with a token in it.
func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) {
	id, next, err := s.flow().Finish(w, r)
	var u *wizard.User
	if err != nil {
		err = wizard.Errorf(wizard.EUNAUTHORIZED, "%s", err.Error())
	} else {
		u, err = s.oidcUser(r.Context(), id)
	}
	if err == nil {
		err = s.enabled(r, u, "single sign-on")
	}
	if err == nil {
		err = s.startSession(w, r, u, id.IDToken)
	}
	if err != nil {
		s.Logger.WarnContext(r.Context(), "single sign-on refused", "err", err)
		w.WriteHeader(status[wizard.ErrorCode(err)])
		s.render(w, r, "login", map[string]any{"Error": err.Error(), "Next": next})
		return
	}
	continueTo(w, next, u.Name)
}

// continueTo ends a sign-in the provider sent back: the browser arrived
// from another site, and a redirect would continue that cross-site
// navigation, for which browsers withhold the SameSite=Strict session
// cookie just set (the person would land on the sign-in page again, as
// Chromium showed). A page of the wizard's own moves on instead, by a
// same-site navigation that carries the cookie.
func continueTo(w http.ResponseWriter, next, who string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Refresh", "0; url="+next) // next is a path of this site (oidclogin.SafeNext)
	fmt.Fprintf(w, `<!doctype html><html lang="en"><meta charset="utf-8"><title>Signed in</title><p>Signed in as %s. <a href="%s">Continue</a></p></html>`,
		html.EscapeString(who), html.EscapeString(next))
}

// oidcUser finds the account of issuer + subject, or creates it in the
// organisation its email domain or group maps to.
func (s *Server) oidcUser(ctx context.Context, c oidclogin.Identity) (*wizard.User, error) {
	u, err := s.Store.UserBySubject(ctx, c.Issuer, c.Subject)
	if err == nil || wizard.ErrorCode(err) != wizard.ENOTFOUND {
		return u, err
	}
	orgName := s.OIDC.orgFor(c)
	if orgName == "" {
		return nil, wizard.Errorf(wizard.EFORBIDDEN, "single sign-on: %s is in no organisation of this wizard; an admin maps its email domain (--oidc-org-by-email-domain) or group (--oidc-org-by-group)", c.DisplayName())
	}
	org, created, err := wizard.OrgFor(ctx, s.Store, orgName, s.Random, s.Now())
	if err != nil {
		return nil, err
	}
	id, err := wizard.NewID(s.Random)
	if err != nil {
		return nil, err
	}
	u = &wizard.User{ID: id, OrgID: org.ID, Name: c.DisplayName(), Issuer: c.Issuer, Subject: c.Subject, Role: wizard.DefaultRole(created), Created: s.Now()}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		if wizard.ErrorCode(err) == wizard.ECONFLICT {
			return nil, wizard.Errorf(wizard.ECONFLICT, "single sign-on: a user named %s already exists; an admin renames or removes it", u.Name)
		}
		return nil, err
	}
	return u, nil
}

func (o *OIDC) orgFor(c oidclogin.Identity) string {
	if c.EmailVerified {
		if _, domain, ok := strings.Cut(c.Email, "@"); ok {
			if org := o.OrgByEmailDomain[strings.ToLower(domain)]; org != "" {
				return org
			}
		}
	}
	for _, g := range c.Groups { // sorted: deterministic when several groups map
		if org := o.OrgByGroup[g]; org != "" {
			return org
		}
	}
	return ""
}
