// Package v1alpha1 is the failover.openova.io/v1alpha1 API: the
// FailoverGroup, which declares one region's side of an active/standby pair
// (its peer, the witness, the mode, timing, the RPO bound and the resources
// each layer's actuators control) and reports the controller's state, epoch
// and evidence history.
//
// +kubebuilder:object:generate=true
// +groupName=failover.openova.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupVersion is the group and version of this API.
var GroupVersion = schema.GroupVersion{Group: "failover.openova.io", Version: "v1alpha1"}

var (
	// SchemeBuilder registers the types of this API.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}
	// AddToScheme adds the types of this API to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func init() {
	SchemeBuilder.Register(&FailoverGroup{}, &FailoverGroupList{})
}
