package controller

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
)

// StatusJSON is the /status document.
type StatusJSON struct {
	Region string `json:"region"`
	State  string `json:"state"`
	Epoch  uint64 `json:"epoch"`
	Holder string `json:"holder,omitempty"`
	// LastRenewal is when the last successful renewal was sent.
	LastRenewal *time.Time `json:"lastRenewal,omitempty"`
	// DeadlineSeconds is the time left before the holder fences.
	DeadlineSeconds float64 `json:"deadlineSeconds,omitempty"`
	Proposal        uint64  `json:"proposal,omitempty"`
	LagSeconds      float64 `json:"lagSeconds,omitempty"`
	// SelectedCNPG and SelectedValkey are what the selectors resolved to
	// last, each judged against the state (as in the FailoverGroup's
	// status), so they are readable when the API server is not.
	SelectedCNPG   []failoverv1.SelectedCNPGCluster `json:"selectedCNPG,omitempty"`
	SelectedValkey []failoverv1.SelectedValkey      `json:"selectedValkey,omitempty"`
}

// Handler serves /status (JSON), /ready (200 only while this region may
// serve: holding and before its deadline, judged at request time, so a
// frozen controller reads as not ready) and /metrics from gatherer.
func (r *Runner) Handler(gatherer prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(r.statusJSON(req.Context()))
	})
	mux.HandleFunc("GET /ready", func(w http.ResponseWriter, _ *http.Request) {
		st := r.Status()
		if st.State.Holding() && r.clock() < st.Deadline {
			_, _ = w.Write([]byte("serving\n"))
			return
		}
		http.Error(w, "not serving: "+st.State.String(), http.StatusServiceUnavailable)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	if gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(gatherer, promhttp.HandlerOpts{}))
	}
	return mux
}

func (r *Runner) statusJSON(ctx context.Context) StatusJSON {
	st := r.Status()
	out := StatusJSON{Region: st.Region, State: st.State.String(), Epoch: st.Epoch, Holder: st.Holder, Proposal: st.Proposal}
	if st.State.Holding() {
		t := r.Wall(st.LastRenewalSent).UTC()
		out.LastRenewal = &t
		out.DeadlineSeconds = max(0, (st.Deadline - r.clock()).Seconds())
	}
	if st.Lag >= 0 {
		out.LagSeconds = st.Lag.Seconds()
	}
	if r.selection != nil {
		out.SelectedCNPG, out.SelectedValkey = r.selection(ctx)
		judgeSelected(out.SelectedCNPG, out.SelectedValkey, st.State, r.LastErrors())
	}
	return out
}
