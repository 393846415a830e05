package flux

import (
	"fmt"
	"strings"

	"github.com/openova-io/openova/internal/catalog"
)

// The portal renders a team's Valkey with the same chart, source and
// two-region wiring as the platform's; these are the pieces it shares
// with plan.mirrored and valkeyReplicaValues.

// MirroredCharts returns b with its chart repositories pointed at the
// chart mirror (instance.yaml spec.mirror.charts), or b itself without one.
func MirroredCharts(b *catalog.Blueprint, mirror string) *catalog.Blueprint {
	m := strings.TrimSuffix(mirror, "/")
	if m == "" {
		return b
	}
	c := *b
	c.Spec.Delivery.Helm = append([]catalog.HelmChart(nil), b.Spec.Delivery.Helm...)
	for i := range c.Spec.Delivery.Helm {
		if c.Spec.Delivery.Helm[i].Repository != "" {
			c.Spec.Delivery.Helm[i].Repository = m
		}
	}
	return &c
}

// ValkeyReplicaConfig is the valkey.conf a standby region's primary gets:
// REPLICAOF the active region's primary at host (its Cilium global
// Service), signing in as the chart's replication user.
func ValkeyReplicaConfig(host string) string {
	return fmt.Sprintf("replicaof %s 6379\nprimaryuser replication\nreplica-read-only yes\n", host)
}
