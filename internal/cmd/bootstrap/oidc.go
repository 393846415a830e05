package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	wizhttp "github.com/openova-io/openova/internal/wizard/http"
)

// OIDCOptions are the single sign-on flags. The client secret is read from
// a file so that it is never on a command line (visible in ps) or logged.
type OIDCOptions struct {
	Issuer           string
	ClientID         string
	ClientSecretFile string
	RedirectURL      string
	OrgByEmailDomain map[string]string
	OrgByGroup       map[string]string
	GroupClaim       string
	Scopes           []string
}

func addOIDCFlags(fl *pflag.FlagSet, o *OIDCOptions) {
	fl.StringVar(&o.Issuer, "oidc-issuer", "", "OpenID Connect issuer URL for single sign-on, e.g. https://accounts.google.com")
	fl.StringVar(&o.ClientID, "oidc-client-id", "", "client ID registered with the issuer")
	fl.StringVar(&o.ClientSecretFile, "oidc-client-secret-file", "", "file holding the client secret (never pass it on the command line)")
	fl.StringVar(&o.RedirectURL, "oidc-redirect-url", "", "redirect URL registered with the issuer: https://<wizard>/login/oidc/callback")
	fl.StringToStringVar(&o.OrgByEmailDomain, "oidc-org-by-email-domain", nil, "place first-time users with a verified email in this domain in this organisation, e.g. acme.com=acme")
	fl.StringToStringVar(&o.OrgByGroup, "oidc-org-by-group", nil, "place first-time users with this group claim value in this organisation, e.g. platform-admins=acme")
	fl.StringVar(&o.GroupClaim, "oidc-group-claim", "groups", "ID token claim listing the user's groups")
	fl.StringSliceVar(&o.Scopes, "oidc-scopes", nil, "extra scopes to ask for besides openid, email, profile (e.g. groups)")
}

// relyingParty returns nil when single sign-on is off.
func (o *OIDCOptions) relyingParty(ctx context.Context) (*wizhttp.OIDC, error) {
	set := []string{o.Issuer, o.ClientID, o.ClientSecretFile, o.RedirectURL}
	n := 0
	for _, v := range set {
		if v != "" {
			n++
		}
	}
	switch {
	case n == 0:
		return nil, nil
	case n != len(set):
		return nil, errors.New("single sign-on needs all of --oidc-issuer, --oidc-client-id, --oidc-client-secret-file and --oidc-redirect-url")
	case len(o.OrgByEmailDomain) == 0 && len(o.OrgByGroup) == 0:
		return nil, errors.New("--oidc-issuer: map users to organisations with --oidc-org-by-email-domain or --oidc-org-by-group, or nobody can sign in")
	}
	data, err := os.ReadFile(o.ClientSecretFile)
	if err != nil {
		return nil, fmt.Errorf("--oidc-client-secret-file: %w", err)
	}
	secret := strings.TrimSpace(string(data))
	if secret == "" {
		return nil, fmt.Errorf("--oidc-client-secret-file %s is empty", o.ClientSecretFile)
	}
	domains := map[string]string{}
	for d, org := range o.OrgByEmailDomain {
		domains[strings.ToLower(d)] = org
	}
	r, err := wizhttp.NewRelyingParty(ctx, o.Issuer, o.ClientID, secret, o.RedirectURL, o.Scopes, nil)
	if err != nil {
		return nil, err
	}
	return &wizhttp.OIDC{RP: r, OrgByEmailDomain: domains, OrgByGroup: o.OrgByGroup, GroupClaim: o.GroupClaim}, nil
}
