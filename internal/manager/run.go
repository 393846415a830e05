package manager

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

// Options of the lifecycle manager process.
type Options struct {
	// MetricsAddr serves /metrics; "0" disables it.
	MetricsAddr string
	// HealthAddr serves /healthz and /readyz; "0" disables it.
	HealthAddr string
	// LeaderElect elects one active replica with a Lease.
	LeaderElect             bool
	LeaderElectionNamespace string
	LeaderElectionID        string
}

const inClusterNamespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

// Validate reports a bad option naming its flag.
func (o Options) Validate() error {
	if o.LeaderElect && o.LeaderElectionNamespace == "" {
		if _, err := os.Stat(inClusterNamespaceFile); err != nil {
			return errors.New("--leader-election-namespace is required outside a cluster when --leader-elect is set")
		}
	}
	if o.LeaderElect && o.LeaderElectionID == "" {
		return errors.New("--leader-election-id must not be empty")
	}
	return nil
}

// The gauges live in controller-runtime's registry, served on MetricsAddr;
// registered once per process.
var processMetrics = sync.OnceValue(func() *Metrics { return NewMetrics(ctrlmetrics.Registry) })

// Run runs the PlatformInstance reconciler until ctx ends.
func Run(ctx context.Context, cfg *rest.Config, o Options) error {
	if err := o.Validate(); err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := platformv1.AddToScheme(scheme); err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:  o.HealthAddr,
		LeaderElection:          o.LeaderElect,
		LeaderElectionNamespace: o.LeaderElectionNamespace,
		LeaderElectionID:        o.LeaderElectionID,
		// Release the Lease on shutdown so a rolling update hands over at once.
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return fmt.Errorf("manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("ping", healthz.Ping); err != nil {
		return err
	}
	// Ready once the caches (PlatformInstances, Blueprints, Flux objects) synced.
	if err := mgr.AddReadyzCheck("caches", func(req *http.Request) error {
		if !mgr.GetCache().WaitForCacheSync(req.Context()) {
			return errors.New("caches not synced")
		}
		return nil
	}); err != nil {
		return err
	}
	r := &Reconciler{Client: mgr.GetClient(), Metrics: processMetrics(), Now: time.Now}
	if err := r.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("PlatformInstance controller: %w", err)
	}
	return mgr.Start(ctx)
}
