package controller

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	failoverv1 "github.com/openova-io/openova/api/failover/v1alpha1"
	"github.com/openova-io/openova/internal/failover/fsm"
)

var flagTiming = Timing{RenewInterval: 10 * time.Second, TTL: 30 * time.Second, RetryTimeout: 10 * time.Second, FenceMargin: 3 * time.Second}

func group(mut func(*failoverv1.FailoverGroupSpec)) *failoverv1.FailoverGroup {
	fg := &failoverv1.FailoverGroup{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "shop"},
		Spec: failoverv1.FailoverGroupSpec{Region: "a", PeerRegion: "b"}}
	if mut != nil {
		mut(&fg.Spec)
	}
	return fg
}

// The spec's timing wins field by field over the flags, the CRD's retry
// default (10s, not the machine's 5s) comes through the flags, and the RPO
// bound is passed explicitly: unset is the CRD's 30s, not "guard off".
func TestMachineConfig(t *testing.T) {
	cfg, err := MachineConfig(group(nil), "a", "b", flagTiming)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != fsm.Automatic || cfg.RetryTimeout != 10*time.Second || cfg.MaxLag != 30*time.Second || cfg.TTL != 30*time.Second {
		t.Fatalf("defaults: %+v", cfg)
	}
	cfg, err = MachineConfig(group(func(s *failoverv1.FailoverGroupSpec) {
		s.Mode = failoverv1.ModeManual
		s.Timing.TTL = &metav1.Duration{Duration: 60 * time.Second}
		s.RPO.MaxLagSeconds = new(int64(0))
	}), "a", "b", flagTiming)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Mode != fsm.Manual || cfg.TTL != time.Minute || cfg.RenewInterval != 10*time.Second || cfg.MaxLag != 0 {
		t.Fatalf("overrides: %+v", cfg)
	}
}

func TestMachineConfigErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		name, region, peer string
		mut                func(*failoverv1.FailoverGroupSpec)
		want               string
	}{
		{"other region", "c", "b", nil, `spec.region "a" differs from --region "c"`},
		{"other peer", "a", "c", nil, `spec.peerRegion "b" differs from --peer-region "c"`},
		{"unsafe timing", "a", "b", func(s *failoverv1.FailoverGroupSpec) {
			s.Timing.RetryTimeout = &metav1.Duration{Duration: 15 * time.Second}
		}, "exceeds ttl"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := MachineConfig(group(tc.mut), tc.region, tc.peer, flagTiming)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "FailoverGroup ns/shop") {
				t.Fatalf("error %v, want it to name FailoverGroup ns/shop and %q", err, tc.want)
			}
		})
	}
}
