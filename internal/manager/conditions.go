package manager

import (
	"fmt"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

// SetConditions writes Ready, Supported and InSync onto st from its
// components; a condition whose status is unchanged keeps its transition
// time (meta.SetStatusCondition), so now is only stamped on changes.
func SetConditions(st *platformv1.PlatformInstanceStatus, generation int64, now time.Time) {
	names := func(pred func(platformv1.ComponentStatus) bool) string {
		var out []string
		for _, c := range st.Components {
			if pred(c) {
				out = append(out, c.Name)
			}
		}
		return strings.Join(out, ", ")
	}
	set := func(typ string, ok bool, reason, msg string) {
		status := metav1.ConditionFalse
		if ok {
			status = metav1.ConditionTrue
		}
		meta.SetStatusCondition(&st.Conditions, metav1.Condition{Type: typ, Status: status, Reason: reason,
			Message: truncate(msg, 32768), ObservedGeneration: generation, LastTransitionTime: metav1.NewTime(now)})
	}

	switch st.Health {
	case platformv1.HealthHealthy:
		set(platformv1.ConditionReady, true, platformv1.ReasonAllHealthy, "every component is healthy")
	case platformv1.HealthDegraded, platformv1.HealthMissing:
		set(platformv1.ConditionReady, false, platformv1.ReasonComponentsFailing, "failing: "+names(func(c platformv1.ComponentStatus) bool {
			return c.Health == platformv1.HealthDegraded || c.Health == platformv1.HealthMissing
		}))
	default:
		set(platformv1.ConditionReady, false, platformv1.ReasonComponentsNotReady, "not ready: "+names(func(c platformv1.ComponentStatus) bool {
			return c.Health == platformv1.HealthProgressing || c.Health == platformv1.HealthUnknown
		}))
	}

	bySupport := func(s platformv1.Support) string {
		return names(func(c platformv1.ComponentStatus) bool { return c.Support == s })
	}
	switch st.Support {
	case platformv1.SupportSupported:
		set(platformv1.ConditionSupported, true, platformv1.ReasonAllSupported, "every component runs a supported version at its blueprint configuration")
	case platformv1.SupportBestEffort:
		set(platformv1.ConditionSupported, false, platformv1.ReasonBestEffort, "best effort: "+bySupport(platformv1.SupportBestEffort))
	case platformv1.SupportUnknown:
		set(platformv1.ConditionSupported, false, platformv1.ReasonVersionUnknown, "support unknown: "+bySupport(platformv1.SupportUnknown))
	default:
		set(platformv1.ConditionSupported, false, platformv1.ReasonUnsupported, "unsupported: "+bySupport(platformv1.SupportUnsupported))
	}

	if st.Drifted == 0 {
		set(platformv1.ConditionInSync, true, platformv1.ReasonNoDrift, "every release matches the instance lock")
	} else {
		set(platformv1.ConditionInSync, false, platformv1.ReasonDrifted, fmt.Sprintf("%d component(s) drifted: %s", st.Drifted,
			names(func(c platformv1.ComponentStatus) bool { return len(c.Drift) > 0 })))
	}
}
