package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BlueprintSpec is a blueprint as published to this cluster by the
// blueprint source; metadata.name is the blueprint's name.
type BlueprintSpec struct {
	// Version is the newest blueprint version available.
	// +kubebuilder:validation:MinLength=1
	Version string `json:"version"`
	// AppVersion is the upstream version that blueprint version installs.
	// +optional
	AppVersion string `json:"appVersion,omitempty"`
	// Tier is mandatory or a-la-carte.
	// +optional
	Tier string `json:"tier,omitempty"`
	// Changelog, newest first.
	// +kubebuilder:validation:MaxItems=200
	// +optional
	Changelog []ChangelogEntry `json:"changelog,omitempty"`
	// Support is the support matrix: the first row whose semver constraint
	// matches the running upstream version gives its status; no match is
	// unsupported.
	// +kubebuilder:validation:MaxItems=32
	// +optional
	Support []SupportRange `json:"support,omitempty"`
	// Claim is the thin claim of an à la carte data service.
	// +optional
	Claim *Claim `json:"claim,omitempty"`
}

// ChangelogEntry is one released blueprint version.
type ChangelogEntry struct {
	// +kubebuilder:validation:MinLength=1
	Version string `json:"version"`
	// +kubebuilder:validation:Pattern=`^\d{4}-\d{2}-\d{2}$`
	// +optional
	Date string `json:"date,omitempty"`
	// +optional
	Changes []string `json:"changes,omitempty"`
}

// SupportRange is one row of the support matrix.
type SupportRange struct {
	// Versions is a semver constraint, e.g. ">=1.19.0 <1.20.0".
	// +kubebuilder:validation:MinLength=1
	Versions string `json:"versions"`
	// +kubebuilder:validation:Enum=supported;best-effort;unsupported
	Status Support `json:"status"`
}

// Claim is the portal's contract for a data service.
type Claim struct {
	// Kind names the claim, e.g. PostgresClaim.
	// +kubebuilder:validation:MinLength=1
	Kind string `json:"kind"`
	// Schema is the claim's JSON Schema (draft 2020-12).
	Schema apiextensionsv1.JSON `json:"schema"`
}

// BlueprintStatus says whether this cluster runs an older version.
type BlueprintStatus struct {
	// InstalledVersion is the blueprint version in the instance lock.
	// +optional
	InstalledVersion string `json:"installedVersion,omitempty"`
	// UpgradePullRequest is the pull request the lifecycle manager opened
	// in the instance repository to upgrade to its Version; kept until the
	// installed version reaches it.
	// +optional
	UpgradePullRequest *UpgradePullRequest `json:"upgradePullRequest,omitempty"`
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// UpgradePullRequest is an upgrade proposed as a pull request.
type UpgradePullRequest struct {
	// Version the pull request upgrades to.
	// +kubebuilder:validation:MinLength=1
	Version     string `json:"version"`
	PullRequest `json:",inline"`
}

// Condition of a Blueprint and its reasons.
const (
	// ConditionUpgradeAvailable is True when Spec.Version is newer than
	// the installed blueprint version.
	ConditionUpgradeAvailable = "UpgradeAvailable"
	ReasonNewerVersion        = "NewerVersion"
	ReasonUpToDate            = "UpToDate"
	ReasonVersionInvalid      = "VersionInvalid"
)

// Blueprint is a blueprint available to this cluster.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=bp,categories=openova
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.version`
// +kubebuilder:printcolumn:name="App",type=string,JSONPath=`.spec.appVersion`
// +kubebuilder:printcolumn:name="Installed",type=string,JSONPath=`.status.installedVersion`
// +kubebuilder:printcolumn:name="Tier",type=string,JSONPath=`.spec.tier`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type Blueprint struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   BlueprintSpec   `json:"spec"`
	Status BlueprintStatus `json:"status,omitempty"`
}

// BlueprintList is a list of Blueprints.
// +kubebuilder:object:root=true
type BlueprintList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Blueprint `json:"items"`
}
