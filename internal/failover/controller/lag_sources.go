package controller

import (
	"context"
	"fmt"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/actuator"
	"github.com/openova-io/openova/internal/failover/fsm"
)

// unknownLag stands for a store whose lag nothing can measure here; it
// keeps the RPO guard asking for approval rather than ignoring the store.
type unknownLag struct{ name, why string }

func (u unknownLag) Name() string { return u.name }
func (u unknownLag) Lag(context.Context) (actuator.LagReading, error) {
	return actuator.LagReading{Detail: u.why}, nil
}

// LagSources builds one lag source per stateful store of fg: Valkey from
// INFO replication, CNPG from promURL (a Prometheus API scraping the CNPG
// instances; without it the CNPG lag is unknown). A Valkey measurement is
// held across a link loss for as long as a takeover can take after it:
// one TTL, a renew interval, two witness requests and one lag interval.
// The Clusters a CNPG selector (sel, nil without one) last resolved to are
// one more source: their worst lag. close releases the Valkey connections.
func LagSources(ctx context.Context, c client.Client, fg *failoverv1.FailoverGroup, cfg fsm.Config, interval time.Duration, promURL string, sel *CNPGSelection) (srcs []actuator.LagSource, close func(), err error) {
	var valkeys []*actuator.ValkeyLag
	close = func() {
		for _, v := range valkeys {
			_ = v.Close()
		}
	}
	hold := cfg.TTL + cfg.RenewInterval + 2*cfg.RetryTimeout + interval
	for i, v := range fg.Spec.Layers.Stateful.Valkey {
		password := ""
		if v.SecretRef != nil {
			if password, err = secretValue(ctx, c, fg.Namespace, *v.SecretRef, "password"); err != nil {
				close()
				return nil, nil, fmt.Errorf("spec.layers.stateful.valkey[%d].secretRef: %w", i, err)
			}
		}
		vl := actuator.NewValkeyLag(v.Address, v.PeerAddress, password, hold, time.Now)
		valkeys = append(valkeys, vl)
		srcs = append(srcs, vl)
	}
	for _, e := range fg.Spec.Layers.Stateful.CNPG {
		ns := e.Namespace
		if ns == "" {
			ns = fg.Namespace
		}
		if promURL == "" {
			srcs = append(srcs, unknownLag{name: "cnpg lag " + ns + "/" + e.Name,
				why: "the CNPG Cluster status carries no replication lag; pass --lag-prometheus-url to read cnpg_pg_replication_lag"})
			continue
		}
		srcs = append(srcs, &actuator.PrometheusLag{URL: promURL, Query: actuator.CNPGLagQuery(ns, e.Name),
			MaxAge: 2 * interval, Now: time.Now})
	}
	if sel != nil {
		srcs = append(srcs, &selectedLag{sel: sel, promURL: promURL, maxAge: 2 * interval})
	}
	return srcs, close, nil
}

// selectedLag is the worst lag of the Clusters the selector last resolved
// to: none selected is no lag at all; without a Prometheus URL it is
// unknown, as for a listed Cluster.
type selectedLag struct {
	sel     *CNPGSelection
	promURL string
	maxAge  time.Duration
}

func (s *selectedLag) Name() string { return "cnpg lag (selector)" }

func (s *selectedLag) Lag(ctx context.Context) (actuator.LagReading, error) {
	members := s.sel.members()
	if len(members) == 0 {
		return actuator.LagReading{Known: true, Detail: "no selected Cluster"}, nil
	}
	if s.promURL == "" {
		return actuator.LagReading{Detail: fmt.Sprintf("%d selected Clusters; the CNPG Cluster status carries no replication lag: pass --lag-prometheus-url", len(members))}, nil
	}
	var srcs []actuator.LagSource
	for _, m := range members {
		srcs = append(srcs, &actuator.PrometheusLag{URL: s.promURL, Query: actuator.CNPGLagQuery(m.Namespace, m.Name), MaxAge: s.maxAge, Now: time.Now})
	}
	ev, detail := WorstLag(ctx, srcs)
	if ev.Unknown {
		return actuator.LagReading{Detail: detail}, nil
	}
	return actuator.LagReading{Lag: ev.Lag, Known: true, Detail: detail}, nil
}
