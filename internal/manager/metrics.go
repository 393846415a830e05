package manager

import (
	"github.com/prometheus/client_golang/prometheus"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

// Metrics are the health gauges: one series per state, 1 for the current
// one, so alerts can match on the label (health="Degraded" == 1).
type Metrics struct {
	platform        *prometheus.GaugeVec
	platformSupport *prometheus.GaugeVec
	drifted         *prometheus.GaugeVec
	component       *prometheus.GaugeVec
	support         *prometheus.GaugeVec
	drift           *prometheus.GaugeVec
	upgrade         *prometheus.GaugeVec
}

var (
	healths  = []platformv1.Health{platformv1.HealthHealthy, platformv1.HealthProgressing, platformv1.HealthUnknown, platformv1.HealthDegraded, platformv1.HealthMissing}
	supports = []platformv1.Support{platformv1.SupportSupported, platformv1.SupportBestEffort, platformv1.SupportUnknown, platformv1.SupportUnsupported}
)

// NewMetrics registers the gauges with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		platform: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "openova_platform_health",
			Help: "1 for the platform instance's current health state."}, []string{"instance", "health"}),
		platformSupport: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "openova_platform_support",
			Help: "1 for the platform instance's support status (its least supported component's)."}, []string{"instance", "support"}),
		drifted: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "openova_platform_drifted_components",
			Help: "Number of components whose releases differ from the instance lock."}, []string{"instance"}),
		component: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "openova_component_health",
			Help: "1 for the component's current health state."}, []string{"instance", "component", "health"}),
		support: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "openova_component_support",
			Help: "1 for the component's current support status (supported, best-effort, unknown, unsupported)."}, []string{"instance", "component", "support"}),
		drift: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "openova_component_drift",
			Help: "Number of differences between the component's releases and the instance lock."}, []string{"instance", "component"}),
		upgrade: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "openova_component_upgrade_available",
			Help: "1 when the component's Blueprint offers a newer version than the instance lock's."}, []string{"instance", "component"}),
	}
	reg.MustRegister(m.platform, m.platformSupport, m.drifted, m.component, m.support, m.drift, m.upgrade)
	return m
}

// Record sets the gauges of one instance from its status, dropping series
// of components no longer listed.
func (m *Metrics) Record(instance string, st platformv1.PlatformInstanceStatus) {
	m.Forget(instance)
	for _, h := range healths {
		m.platform.WithLabelValues(instance, string(h)).Set(b2f(st.Health == h))
	}
	for _, sp := range supports {
		m.platformSupport.WithLabelValues(instance, string(sp)).Set(b2f(st.Support == sp))
	}
	m.drifted.WithLabelValues(instance).Set(float64(st.Drifted))
	for _, c := range st.Components {
		for _, h := range healths {
			m.component.WithLabelValues(instance, c.Name, string(h)).Set(b2f(c.Health == h))
		}
		for _, s := range supports {
			m.support.WithLabelValues(instance, c.Name, string(s)).Set(b2f(c.Support == s))
		}
		m.drift.WithLabelValues(instance, c.Name).Set(float64(len(c.Drift)))
	}
}

// RecordUpgrades sets, per component of an instance, whether its
// Blueprint offers a newer version; call it after Record.
func (m *Metrics) RecordUpgrades(instance string, available map[string]bool) {
	m.upgrade.DeletePartialMatch(prometheus.Labels{"instance": instance})
	for c, ok := range available {
		m.upgrade.WithLabelValues(instance, c).Set(b2f(ok))
	}
}

// Forget drops every series of an instance (deleted or re-recorded).
func (m *Metrics) Forget(instance string) {
	l := prometheus.Labels{"instance": instance}
	for _, g := range []*prometheus.GaugeVec{m.platform, m.platformSupport, m.drifted, m.component, m.support, m.drift, m.upgrade} {
		g.DeletePartialMatch(l)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
