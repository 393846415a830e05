package controller

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/actuator"
)

// Group runs the state machine of the one FailoverGroup this controller
// serves (spec.region = --region, spec.witness.leaseName = --lease-name).
// It is a leader-elected runnable: it waits for that FailoverGroup, builds
// the runner from it once, and runs it until the manager stops.
type Group struct {
	Region, Peer, LeaseName string
	Timing                  Timing
	Witness                 Witness
	Reader                  client.Reader // uncached: the cache may not be started
	Client                  client.Client
	// PeerClient reaches the peer region's API server (nil: none); it is
	// used only to read the peer's CNPG demotion token.
	PeerClient client.Client
	// LagPrometheusURL, if set, is the Prometheus API the CNPG lag is
	// read from (see LagSources).
	LagPrometheusURL string
	Recorder         events.EventRecorder
	Metrics          *Metrics
	Log              *slog.Logger
	Now              func() time.Time
	// Notify wakes the reconciler when there is new evidence.
	Notify chan event.GenericEvent
	// ValkeyAddress is where a selected Valkey Service is reached; nil is
	// ClusterDNS (tests map Services to loopback servers).
	ValkeyAddress ValkeyAddress

	mu        sync.Mutex
	runner    *Runner
	evidence  *Evidence
	selection *CNPGSelection
	valkey    *ValkeySelection
	key       client.ObjectKey
	problem   string
}

// Find returns the FailoverGroup this controller serves among list, or an
// error saying why none or several match.
func (g *Group) Find(list []failoverv1.FailoverGroup) (*failoverv1.FailoverGroup, error) {
	var found []failoverv1.FailoverGroup
	for _, fg := range list {
		if fg.Spec.Region == g.Region && fg.Spec.Witness.LeaseName == g.LeaseName {
			found = append(found, fg)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("no FailoverGroup has spec.region %q and spec.witness.leaseName %q; create one (see docs/failover.md)", g.Region, g.LeaseName)
	case 1:
		return &found[0], nil
	}
	return nil, fmt.Errorf("%d FailoverGroups (%s/%s, %s/%s, ...) have spec.region %q and spec.witness.leaseName %q; one controller serves one lease: delete all but one",
		len(found), found[0].Namespace, found[0].Name, found[1].Namespace, found[1].Name, g.Region, g.LeaseName)
}

// Start implements manager.Runnable.
func (g *Group) Start(ctx context.Context) error {
	var fg *failoverv1.FailoverGroup
	for {
		var err error
		if fg, err = g.lookup(ctx); err == nil {
			break
		}
		g.setProblem(err.Error())
		g.Log.Warn("waiting for a valid FailoverGroup", "error", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(2 * time.Second):
		}
	}
	cfg, _ := MachineConfig(fg, g.Region, g.Peer, g.Timing) // validated by lookup
	acts, closeActs, err := Actuators(ctx, g.Client, g.PeerClient, fg, cfg.TTL, g.Log)
	if err != nil {
		return err
	}
	defer closeActs()
	ev := NewEvidence(g.Recorder, fg, g.Now, g.Notify)
	// Always a selection, possibly selecting nothing: the reconciler
	// updates its selector from the FailoverGroup as it changes.
	sel := newCNPGSelection(g.Reader, g.Client, g.PeerClient, cfg.TTL, g.Log)
	if _, err := sel.Update(fg); err != nil {
		return err
	}
	sel.Problem = ev.SelectionProblem
	vsel := newValkeySelection(g.Client, g.Reader, g.ValkeyAddress, g.Log)
	if _, err := vsel.Update(fg); err != nil {
		return err
	}
	vsel.Problem = ev.SelectionProblem
	defer vsel.close()
	lags, closeLags, err := LagSources(ctx, g.Client, fg, cfg, DefaultLagInterval, g.LagPrometheusURL, sel)
	if err != nil {
		return err
	}
	defer closeLags()
	r, err := New(Options{Config: cfg, Witness: g.Witness, LeaseName: g.LeaseName, Actuators: acts, Selected: resolveBoth(sel, vsel),
		Selection: func(ctx context.Context) ([]failoverv1.SelectedCNPGCluster, []failoverv1.SelectedValkey) {
			return sel.Selected(), vsel.Observe(ctx, valkeyObserveTimeout)
		},
		Log: g.Log, Evidence: ev.Action, Actuated: ev.Actuated, Metrics: g.Metrics, LagSources: lags})
	if err != nil {
		return err
	}
	g.mu.Lock()
	g.runner, g.evidence, g.selection, g.valkey, g.key, g.problem = r, ev, sel, vsel, client.ObjectKeyFromObject(fg), ""
	g.mu.Unlock()
	g.Log.Info("running failover group", "failovergroup", g.key.String(), "mode", cfg.Mode, "ttl", cfg.TTL,
		"renewInterval", cfg.RenewInterval, "retryTimeout", cfg.RetryTimeout, "maxLag", cfg.MaxLag, "actuators", len(acts), "lagSources", len(lags))
	select { // wake the reconciler for the first status
	case g.Notify <- event.GenericEvent{Object: fg}:
	default:
	}
	return r.Run(ctx)
}

func (g *Group) lookup(ctx context.Context) (*failoverv1.FailoverGroup, error) {
	var list failoverv1.FailoverGroupList
	if err := g.Reader.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("list FailoverGroups: %w", err)
	}
	fg, err := g.Find(list.Items)
	if err != nil {
		return nil, err
	}
	g.mu.Lock()
	g.key = client.ObjectKeyFromObject(fg)
	g.mu.Unlock()
	if _, err := MachineConfig(fg, g.Region, g.Peer, g.Timing); err != nil {
		return nil, err
	}
	return fg, nil
}

func (g *Group) setProblem(p string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.problem = p
}

// state is what the reconciler needs: the runner (nil until started), its
// evidence, the FailoverGroup served, and why it has not started.
func (g *Group) state() (*Runner, *Evidence, client.ObjectKey, string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.runner, g.evidence, g.key, g.problem
}

// Selection is the CNPG selector's resolution, nil until started.
func (g *Group) Selection() *CNPGSelection {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.selection
}

// ValkeySelection is the Valkey selector's resolution, nil until started.
func (g *Group) ValkeySelection() *ValkeySelection {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.valkey
}

// resolveBoth resolves the selected CNPG Clusters, then the selected
// Valkey instances (the data layer, in activation order).
func resolveBoth(c *CNPGSelection, v *ValkeySelection) func(context.Context) ([]actuator.Actuator, error) {
	return func(ctx context.Context) ([]actuator.Actuator, error) {
		acts, err := c.Resolve(ctx)
		if err != nil {
			return nil, err
		}
		more, err := v.Resolve(ctx)
		if err != nil {
			return nil, err
		}
		return append(acts, more...), nil
	}
}

// Runner is the running state machine's shell, nil until started.
func (g *Group) Runner() *Runner {
	r, _, _, _ := g.state()
	return r
}
