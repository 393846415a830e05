package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PlatformInstanceSpec is what the instance lock (openova.lock) says is
// installed: written from the instance repository, never by the manager.
type PlatformInstanceSpec struct {
	// Tenant owning the instance, e.g. acme.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Tenant string `json:"tenant"`

	// Regions of the instance, e.g. [fsn1, hel1].
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=set
	Regions []string `json:"regions"`

	// Components installed, with the blueprint version and the releases
	// that deliver each.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=256
	// +optional
	Components []InstalledComponent `json:"components,omitempty"`
}

// InstalledComponent is one blueprint as locked.
type InstalledComponent struct {
	// Name of the blueprint, e.g. cert-manager.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`
	// BlueprintVersion is the locked blueprint version.
	// +kubebuilder:validation:MinLength=1
	BlueprintVersion string `json:"blueprintVersion"`
	// AppVersion is the upstream version the locked delivery installs; the
	// support status falls back to it when a release reports none.
	// +optional
	AppVersion string `json:"appVersion,omitempty"`
	// Releases are the Flux objects delivering the component.
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Releases []ReleaseRef `json:"releases,omitempty"`
}

// ReleaseKind is the Flux object kind a release is.
// +kubebuilder:validation:Enum=HelmRelease;Kustomization
type ReleaseKind string

// Release kinds.
const (
	KindHelmRelease   ReleaseKind = "HelmRelease"
	KindKustomization ReleaseKind = "Kustomization"
)

// ReleaseRef names a Flux object and what the generated tree says it holds.
type ReleaseRef struct {
	// +kubebuilder:default=HelmRelease
	// +optional
	Kind ReleaseKind `json:"kind,omitempty"`
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`
	// +kubebuilder:validation:MinLength=1
	Namespace string `json:"namespace"`
	// ChartVersion the generated HelmRelease pins (HelmRelease only).
	// +optional
	ChartVersion string `json:"chartVersion,omitempty"`
	// ValuesDigest is "sha256:<hex>" of the generated HelmRelease's
	// spec.values in canonical JSON; empty skips the values drift check.
	// +kubebuilder:validation:Pattern=`^(sha256:[0-9a-f]{64})?$`
	// +optional
	ValuesDigest string `json:"valuesDigest,omitempty"`
}

// Health of a release, a component or the platform, best to worst.
// +kubebuilder:validation:Enum=Healthy;Progressing;Degraded;Missing;Unknown
type Health string

// Health states.
const (
	HealthHealthy     Health = "Healthy"
	HealthProgressing Health = "Progressing"
	HealthUnknown     Health = "Unknown"
	HealthDegraded    Health = "Degraded"
	HealthMissing     Health = "Missing"
)

// Support says how OpenOva supports what is running (OPENOVA.md §3).
// +kubebuilder:validation:Enum=supported;best-effort;unsupported;unknown
type Support string

// Support statuses; unknown means no running version could be read.
const (
	SupportSupported   Support = "supported"
	SupportBestEffort  Support = "best-effort"
	SupportUnsupported Support = "unsupported"
	SupportUnknown     Support = "unknown"
)

// PlatformInstanceStatus is the manager's observation.
type PlatformInstanceStatus struct {
	// ObservedGeneration is the spec generation this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Health of the platform: the worst of its components.
	// +optional
	Health Health `json:"health,omitempty"`
	// Support of the platform: the worst of its components.
	// +optional
	Support Support `json:"support,omitempty"`
	// Drifted counts components with drift.
	// +optional
	Drifted int32 `json:"drifted,omitempty"`
	// Components, in spec order.
	// +listType=map
	// +listMapKey=name
	// +optional
	Components []ComponentStatus `json:"components,omitempty"`
	// Conditions: Ready, Supported, InSync.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ComponentStatus is one component's rolled-up observation.
type ComponentStatus struct {
	Name   string `json:"name"`
	Health Health `json:"health"`
	// Support judged from the Blueprint's support matrix and RunningVersion.
	Support Support `json:"support"`
	// RunningVersion is the upstream app version running, when known.
	// +optional
	RunningVersion string `json:"runningVersion,omitempty"`
	// Drift lists what differs from the instance lock, one line each.
	// +optional
	Drift []string `json:"drift,omitempty"`
	// Message explains the health and support, from the worst release.
	// +optional
	Message string `json:"message,omitempty"`
}

// Condition types and reasons of a PlatformInstance.
const (
	ConditionReady     = "Ready"
	ConditionSupported = "Supported"
	ConditionInSync    = "InSync"

	ReasonAllHealthy         = "AllHealthy"
	ReasonComponentsNotReady = "ComponentsNotReady"
	ReasonComponentsFailing  = "ComponentsFailing"
	ReasonAllSupported       = "AllSupported"
	ReasonBestEffort         = "BestEffort"
	ReasonUnsupported        = "UnsupportedVersions"
	ReasonVersionUnknown     = "VersionUnknown"
	ReasonNoDrift            = "NoDrift"
	ReasonDrifted            = "Drifted"
)

// PlatformInstance is the in-cluster twin of the instance lock, with the
// lifecycle manager's view of health, support and drift.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=pi,categories=openova
// +kubebuilder:printcolumn:name="Tenant",type=string,JSONPath=`.spec.tenant`
// +kubebuilder:printcolumn:name="Health",type=string,JSONPath=`.status.health`
// +kubebuilder:printcolumn:name="Support",type=string,JSONPath=`.status.support`
// +kubebuilder:printcolumn:name="Drifted",type=integer,JSONPath=`.status.drifted`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type PlatformInstance struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   PlatformInstanceSpec   `json:"spec"`
	Status PlatformInstanceStatus `json:"status,omitempty"`
}

// PlatformInstanceList is a list of PlatformInstances.
// +kubebuilder:object:root=true
type PlatformInstanceList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PlatformInstance `json:"items"`
}
