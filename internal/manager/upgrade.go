package manager

import (
	"fmt"
	"time"

	"github.com/Masterminds/semver/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	platformv1 "github.com/openova-io/openova/api/platform/v1alpha1"
)

// UpgradeStatus says whether bp offers a newer version than installed (the
// blueprint version in the instance lock); an upgrade is announced with the
// Blueprint's changelog. Transition times move only on change. The
// upgrade pull request recorded by Actions stays until it is installed.
func UpgradeStatus(bp *platformv1.Blueprint, installed string, now time.Time) platformv1.BlueprintStatus {
	st := platformv1.BlueprintStatus{InstalledVersion: installed, Conditions: append([]metav1.Condition(nil), bp.Status.Conditions...)}
	c := metav1.Condition{Type: platformv1.ConditionUpgradeAvailable, ObservedGeneration: bp.Generation, LastTransitionTime: metav1.NewTime(now)}
	avail, err1 := semver.StrictNewVersion(bp.Spec.Version)
	have, err2 := semver.StrictNewVersion(installed)
	switch {
	case err1 != nil || err2 != nil:
		c.Status, c.Reason = metav1.ConditionUnknown, platformv1.ReasonVersionInvalid
		c.Message = fmt.Sprintf("cannot compare spec.version %q with the installed %q as semver", bp.Spec.Version, installed)
	case avail.GreaterThan(have):
		c.Status, c.Reason = metav1.ConditionTrue, platformv1.ReasonNewerVersion
		c.Message = fmt.Sprintf("%s is available; %s is installed", avail, have)
	default:
		c.Status, c.Reason = metav1.ConditionFalse, platformv1.ReasonUpToDate
		c.Message = fmt.Sprintf("%s is installed", have)
	}
	meta.SetStatusCondition(&st.Conditions, c)
	st.UpgradePullRequest = openUpgrade(bp.Status.UpgradePullRequest, have)
	return st
}

// openUpgrade keeps a recorded upgrade pull request until the installed
// version reaches the version it proposed.
func openUpgrade(pr *platformv1.UpgradePullRequest, installed *semver.Version) *platformv1.UpgradePullRequest {
	if pr == nil {
		return nil
	}
	if to, err := semver.StrictNewVersion(pr.Version); err == nil && installed != nil && !installed.LessThan(to) {
		return nil
	}
	return pr.DeepCopy()
}
