package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/lease"
)

// ManagerOptions are the failover-controller binary's flags.
type ManagerOptions struct {
	Region, PeerRegion string
	WitnessURL         string
	LeaseName          string
	// WitnessTokenFile holds this region's bearer token for the witness.
	WitnessTokenFile string
	Timing           Timing
	// Listen serves /healthz, /ready, /status and /metrics.
	Listen                  string
	LeaderElect             bool
	LeaderElectionNamespace string
	LeaderElectionID        string
	// PeerKubeconfig, if set, is a kubeconfig for the peer region's API
	// server, used read-only to carry CNPG's demotion token in a planned
	// switchover.
	PeerKubeconfig string
	// LagPrometheusURL, if set, is a Prometheus API to read the CNPG
	// replication lag from (the Cluster status has none).
	LagPrometheusURL string
	// ValkeyAddress is where selected Valkey Services are reached; nil is
	// ClusterDNS. Not a flag: tests map Services to loopback servers.
	ValkeyAddress ValkeyAddress
}

// Validate names the first missing or wrong flag.
func (o ManagerOptions) Validate() error {
	for _, f := range []struct{ name, v string }{{"--region", o.Region}, {"--peer-region", o.PeerRegion},
		{"--witness-url", o.WitnessURL}, {"--lease-name", o.LeaseName}, {"--witness-token-file", o.WitnessTokenFile}} {
		if f.v == "" {
			return fmt.Errorf("%s is required", f.name)
		}
	}
	if o.Region == o.PeerRegion {
		return fmt.Errorf("--peer-region must differ from --region (%q)", o.Region)
	}
	if o.LeaderElect && o.LeaderElectionNamespace == "" {
		return errors.New("--leader-election-namespace is required with --leader-elect (outside a cluster it cannot be guessed)")
	}
	return nil
}

// RunManager runs the controller against the API server of cfg until ctx
// ends: the HTTP endpoints at once, the state machine and the reconciler
// once this replica leads.
func RunManager(ctx context.Context, cfg *rest.Config, o ManagerOptions, log *slog.Logger) error {
	if err := o.Validate(); err != nil {
		return err
	}
	token, err := readToken(o.WitnessTokenFile)
	if err != nil {
		return err
	}
	witness, err := lease.NewClient(o.WitnessURL, token, nil)
	if err != nil {
		return fmt.Errorf("--witness-url: %w", err)
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := failoverv1.AddToScheme(scheme); err != nil {
		return err
	}
	logger := logr.FromSlogHandler(log.Handler())
	ctrl.SetLogger(logger)
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme,
		Logger:                        logger,
		Metrics:                       metricsserver.Options{BindAddress: "0"}, // served on --listen
		HealthProbeBindAddress:        "0",
		LeaderElection:                o.LeaderElect,
		LeaderElectionNamespace:       o.LeaderElectionNamespace,
		LeaderElectionID:              o.LeaderElectionID,
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}
	// Our metrics in a registry of their own, served with
	// controller-runtime's global one (one process may run several
	// managers, e.g. in tests).
	reg := prometheus.NewRegistry()
	metrics := NewMetrics(reg)
	g := &Group{Region: o.Region, Peer: o.PeerRegion, LeaseName: o.LeaseName, Timing: o.Timing, Witness: witness,
		Reader: mgr.GetAPIReader(), Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder("failover-controller"),
		Metrics: metrics, Log: log, Now: time.Now, Notify: make(chan event.GenericEvent, 1), LagPrometheusURL: o.LagPrometheusURL,
		ValkeyAddress: o.ValkeyAddress}
	if o.PeerKubeconfig != "" {
		pc, err := clientcmd.BuildConfigFromFlags("", o.PeerKubeconfig)
		if err != nil {
			return fmt.Errorf("--peer-kubeconfig: %w", err)
		}
		if g.PeerClient, err = client.New(pc, client.Options{Scheme: scheme}); err != nil {
			return fmt.Errorf("--peer-kubeconfig: %w", err)
		}
	}
	if err := mgr.Add(g); err != nil {
		return err
	}
	resync := o.Timing.RenewInterval
	if err := (&FailoverGroupReconciler{Client: mgr.GetClient(), Group: g, Resync: resync}).SetupWithManager(mgr); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", o.Listen)
	if err != nil {
		return fmt.Errorf("--listen %s: %w", o.Listen, err)
	}
	srv := &http.Server{Handler: groupHandler(g, prometheus.Gatherers{ctrlmetrics.Registry, reg}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("serving", "listen", ln.Addr().String(), "region", o.Region, "lease", o.LeaseName)
	err = mgr.Start(ctx)
	shutdown, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdown)
	return err
}

// groupHandler serves /healthz and /metrics at once and the runner's
// /ready and /status once it runs; until then they answer 503.
func groupHandler(g *Group, gatherer prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	mux.HandleFunc("/", func(w http.ResponseWriter, req *http.Request) {
		r := g.Runner()
		if r == nil {
			http.Error(w, "not running yet: waiting for leadership or a valid FailoverGroup", http.StatusServiceUnavailable)
			return
		}
		r.Handler(nil).ServeHTTP(w, req)
	})
	return mux
}

// readToken reads the witness token; its value never appears in errors.
func readToken(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("--witness-token-file: %w", err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("--witness-token-file %s is empty; it must hold this region's witness bearer token", path)
	}
	return t, nil
}
