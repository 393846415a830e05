package controller

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/actuator"
	"github.com/openova-io/openova/internal/failover/fsm"
)

// Timing is the lease timing given on the command line; a FailoverGroup's
// spec.timing overrides it field by field.
type Timing struct {
	RenewInterval, TTL, RetryTimeout, FenceMargin time.Duration
}

// MachineConfig is the state machine's configuration for fg: region and
// mode from the spec, timing from spec.timing where set and flags
// otherwise, and the RPO bound passed explicitly (the machine reads 0 as
// "guard off", so an unset spec.rpo must become the CRD's default, not 0).
func MachineConfig(fg *failoverv1.FailoverGroup, region, peer string, flags Timing) (fsm.Config, error) {
	where := fmt.Sprintf("FailoverGroup %s/%s", fg.Namespace, fg.Name)
	if fg.Spec.Region != region {
		return fsm.Config{}, fmt.Errorf("%s: spec.region %q differs from --region %q; a controller serves its own region only", where, fg.Spec.Region, region)
	}
	if fg.Spec.PeerRegion != peer {
		return fsm.Config{}, fmt.Errorf("%s: spec.peerRegion %q differs from --peer-region %q; fix one of them", where, fg.Spec.PeerRegion, peer)
	}
	t := fg.Spec.Timing
	cfg := fsm.Config{
		Region:        region,
		Mode:          fsm.Mode(fg.Spec.Mode),
		RenewInterval: pick(t.RenewInterval, flags.RenewInterval),
		TTL:           pick(t.TTL, flags.TTL),
		RetryTimeout:  pick(t.RetryTimeout, flags.RetryTimeout),
		FenceMargin:   flags.FenceMargin,
		MaxLag:        fg.Spec.RPO.MaxLag(),
	}
	if cfg.Mode == "" {
		cfg.Mode = fsm.Automatic
	}
	if err := failoverv1.ValidateTiming(cfg.RenewInterval, cfg.TTL, cfg.RetryTimeout); err != nil {
		return fsm.Config{}, fmt.Errorf("%s: %w", where, err)
	}
	if err := cfg.WithDefaults().Validate(); err != nil {
		return fsm.Config{}, fmt.Errorf("%s: %w", where, err)
	}
	return cfg, nil
}

func pick(d *metav1.Duration, flag time.Duration) time.Duration {
	if d == nil {
		return flag
	}
	return d.Duration
}

// Actuators builds the actuators of fg's layers in activation order: data
// first (CNPG, Valkey, MirrorMaker 2), then internal traffic (Cilium), then
// the external gates, so traffic arrives only where the data is primary.
// close releases the Valkey connections. With a client for the peer's API
// server (nil when none), CNPG promotions carry the peer's demotion token
// after an orderly demotion, waiting for it at most tokenWait.
func Actuators(ctx context.Context, c, peer client.Client, fg *failoverv1.FailoverGroup, tokenWait time.Duration, log *slog.Logger) (acts []actuator.Actuator, close func(), err error) {
	ns := fg.Namespace
	var valkeys []*actuator.Valkey
	close = func() {
		for _, v := range valkeys {
			_ = v.Close()
		}
	}
	l := fg.Spec.Layers
	for _, e := range l.Stateful.CNPG {
		local := actuator.NewCNPG(c, ns, e)
		if peer == nil {
			acts = append(acts, local)
			continue
		}
		acts = append(acts, newTokenCNPG(local, peer, tokenWait, log))
	}
	for i, v := range l.Stateful.Valkey {
		password := ""
		if v.SecretRef != nil {
			if password, err = secretValue(ctx, c, ns, *v.SecretRef, "password"); err != nil {
				close()
				return nil, nil, fmt.Errorf("spec.layers.stateful.valkey[%d].secretRef: %w", i, err)
			}
		}
		va := actuator.NewValkey(v.Address, v.PeerAddress, password)
		valkeys = append(valkeys, va)
		acts = append(acts, va)
	}
	for _, m := range l.Stateful.MirrorMaker2 {
		acts = append(acts, actuator.NewMirrorMaker2(c, ns, m))
	}
	for _, s := range l.Internal.Services {
		acts = append(acts, actuator.NewGlobalService(c, ns, s))
	}
	for _, g := range l.External.Gates {
		acts = append(acts, actuator.NewGate(c, ns, g))
	}
	return acts, close, nil
}

// secretValue reads one key of a Secret; the value never appears in errors.
func secretValue(ctx context.Context, c client.Client, ns string, ref failoverv1.SecretKeyRef, defKey string) (string, error) {
	key := ref.Key
	if key == "" {
		key = defKey
	}
	var s corev1.Secret
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.Name}, &s); err != nil {
		return "", fmt.Errorf("read Secret %s/%s: %w", ns, ref.Name, err)
	}
	v, ok := s.Data[key]
	if !ok {
		return "", fmt.Errorf("Secret %s/%s has no key %q", ns, ref.Name, key)
	}
	return string(v), nil
}
