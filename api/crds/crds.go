// Package crds embeds the generated CRD manifests of OpenOva's own APIs
// (hack/generate.sh writes them), for the generator to deliver.
package crds

import "embed"

// Platform holds the platform.openova.io CRDs: PlatformInstance,
// Blueprint and PortalRequest.
//
//go:embed platform.openova.io_*.yaml
var Platform embed.FS
