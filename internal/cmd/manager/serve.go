package manager

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"k8s.io/client-go/rest"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/openova-io/openova/internal/manager"
	"github.com/openova-io/openova/internal/manager/web"
	"github.com/openova-io/openova/internal/oidclogin"
)

// run is the default RunFunc: the manager, plus the dashboard on
// --ui-addr (every replica serves it; only the leader reconciles).
func run(ctx context.Context, cfg *rest.Config, o manager.Options) error {
	mgr, cat, err := manager.Setup(cfg, o)
	if err != nil {
		return err
	}
	if err := setupTracker(mgr, o); err != nil {
		return err
	}
	if o.UIAddr != "" && o.UIAddr != "0" {
		actions, err := manager.NewActions(o, cat, mgr.GetClient())
		if err != nil {
			return err
		}
		auth, err := authorizer(ctx, o)
		if err != nil {
			return err
		}
		opts := web.Options{Reader: mgr.GetAPIReader(), Auth: auth, Catalog: cat,
			Portal: o.Portal, Registerer: ctrlmetrics.Registry}
		if actions != nil {
			opts.Actions = actions
		}
		h, err := web.New(opts)
		if err != nil {
			return err
		}
		if err := mgr.Add(&uiServer{addr: o.UIAddr, handler: h}); err != nil {
			return err
		}
	}
	return mgr.Start(ctx)
}

// authorizer is the OIDC admin group when an issuer is set, else the
// admin token.
func authorizer(ctx context.Context, o manager.Options) (web.Authorizer, error) {
	if o.OIDC.Issuer == "" {
		return web.TokenAuth{Token: o.AdminToken}, nil
	}
	sealer, external, err := sessionSealer(o)
	if err != nil {
		return nil, err
	}
	redirect := strings.TrimSuffix(o.OIDC.ExternalURL, "/") + web.CallbackPath
	relying, err := oidclogin.NewRelyingParty(ctx, o.OIDC.Issuer, o.OIDC.ClientID, o.OIDC.ClientSecret, redirect, []string{"groups"}, nil)
	if err != nil {
		return nil, fmt.Errorf("--oidc-issuer %s: %w", o.OIDC.Issuer, err)
	}
	secure := external.Scheme == "https"
	return web.NewOIDCAuth(relying, sealer, o.OIDC.AdminGroup, o.OIDC.GroupsClaim, secure), nil
}

// uiServer runs the dashboard's listener on every replica.
type uiServer struct {
	addr    string
	handler http.Handler
}

func (*uiServer) NeedLeaderElection() bool { return false }

func (u *uiServer) Start(ctx context.Context) error {
	l, err := net.Listen("tcp", u.addr)
	if err != nil {
		return fmt.Errorf("--ui-addr %s: %w", u.addr, err)
	}
	srv := &http.Server{Handler: u.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
