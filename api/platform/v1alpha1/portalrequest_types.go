package v1alpha1

import (
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// PortalRequestSpec is what a team asked for in the portal.
type PortalRequestSpec struct {
	// Blueprint requested, e.g. cnpg.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Blueprint string `json:"blueprint"`
	// Values of the blueprint's thin claim, validated by the portal
	// against the claim's schema.
	// +optional
	Values *apiextensionsv1.JSON `json:"values,omitempty"`
	// RequestedBy is the signed-in user.
	// +kubebuilder:validation:MinLength=1
	RequestedBy string `json:"requestedBy"`
}

// RequestPhase is where a request's pull request is in its life.
// +kubebuilder:validation:Enum=Open;Merged;Applied;Ready;Failed
type RequestPhase string

// Request phases: Open → Merged → Applied → Ready, or Failed.
const (
	PhaseOpen    RequestPhase = "Open"
	PhaseMerged  RequestPhase = "Merged"
	PhaseApplied RequestPhase = "Applied"
	PhaseReady   RequestPhase = "Ready"
	PhaseFailed  RequestPhase = "Failed"
)

// Reasons a PortalRequest failed.
const (
	ReasonPullRequestClosed = "PullRequestClosed"
	ReasonApplyFailed       = "ApplyFailed"
	ReasonNotReady          = "ResourceNotReady"
)

// PullRequest identifies the pull request in the instance repository.
type PullRequest struct {
	// +kubebuilder:validation:Pattern=`^https?://.+`
	URL string `json:"url"`
	// +kubebuilder:validation:Minimum=1
	Number int64 `json:"number"`
	// +optional
	Branch string `json:"branch,omitempty"`
	// MergeCommit once merged.
	// +optional
	MergeCommit string `json:"mergeCommit,omitempty"`
}

// PortalRequestStatus tracks the request.
// +kubebuilder:validation:XValidation:rule="!has(self.phase) || self.phase != 'Failed' || (has(self.reason) && size(self.reason) > 0)",message="status.reason is required when status.phase is Failed"
// +kubebuilder:validation:XValidation:rule="!has(oldSelf.phase) || (has(self.phase) && (self.phase == 'Failed' || (oldSelf.phase != 'Failed' && {'Open': 0, 'Merged': 1, 'Applied': 2, 'Ready': 3}[self.phase] >= {'Open': 0, 'Merged': 1, 'Applied': 2, 'Ready': 3}[oldSelf.phase])))",message="status.phase only moves forward (Open, Merged, Applied, Ready) or to Failed, and Failed is final"
type PortalRequestStatus struct {
	// +optional
	Phase RequestPhase `json:"phase,omitempty"`
	// Reason of a failure, CamelCase.
	// +optional
	Reason string `json:"reason,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	PullRequest *PullRequest `json:"pullRequest,omitempty"`
	// ConnectionSecret is the name of the Secret holding the connection
	// details once ready; its value is never copied here.
	// +optional
	ConnectionSecret string `json:"connectionSecret,omitempty"`
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// PortalRequest tracks one portal request through its pull request.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=preq,categories=openova
// +kubebuilder:printcolumn:name="Blueprint",type=string,JSONPath=`.spec.blueprint`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.phase`
// +kubebuilder:printcolumn:name="PR",type=string,JSONPath=`.status.pullRequest.url`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.reason`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type PortalRequest struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   PortalRequestSpec   `json:"spec"`
	Status PortalRequestStatus `json:"status,omitempty"`
}

// PortalRequestList is a list of PortalRequests.
// +kubebuilder:object:root=true
type PortalRequestList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []PortalRequest `json:"items"`
}
