// Package v1alpha1 is the platform.openova.io/v1alpha1 API of the lifecycle
// manager: the PlatformInstance (the in-cluster twin of the instance lock,
// with rolled-up health, support status and drift), the Blueprints available
// to this cluster, and PortalRequests that track a pull request to ready.
//
// +kubebuilder:object:generate=true
// +groupName=platform.openova.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

// GroupVersion is the group and version of this API.
var GroupVersion = schema.GroupVersion{Group: "platform.openova.io", Version: "v1alpha1"}

var (
	// SchemeBuilder registers the types of this API.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}
	// AddToScheme adds the types of this API to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

func init() {
	SchemeBuilder.Register(&PlatformInstance{}, &PlatformInstanceList{},
		&Blueprint{}, &BlueprintList{}, &PortalRequest{}, &PortalRequestList{})
}
