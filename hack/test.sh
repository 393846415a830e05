#!/usr/bin/env bash
# Runs OpenOva's whole test suite. It first builds, once, the real binaries
# the tests run (kube-apiserver, etcd, tofu) into a cache outside the clone,
# then runs every Go test.
set -euo pipefail
cd "$(dirname "$0")/.."
./hack/setup.sh
exec go test -count=1 -timeout 45m ./... "$@"
