#!/usr/bin/env bash
# Regenerates the deepcopy functions and CRD manifests of OpenOva's own APIs
# (api/**) with a pinned controller-gen, and copies each CRD into the Helm
# chart that installs it. Run after changing a type; commit the result.
set -euo pipefail
cd "$(dirname "$0")/.."
controller_gen="go run sigs.k8s.io/controller-tools/cmd/controller-gen@v0.23.0"
$controller_gen object paths=./api/...
$controller_gen crd paths=./api/... output:crd:artifacts:config=api/crds
cp api/crds/failover.openova.io_failovergroups.yaml platform/failover-controller/chart/crds/
cp api/crds/platform.openova.io_*.yaml deploy/charts/catalyst/crds/
