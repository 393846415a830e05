#!/usr/bin/env bash
# Builds or installs, once, everything the tests run for real, into caches
# outside the clone keyed by version. Safe to run again: each step is a no-op
# when its output is there.
set -euo pipefail
cd "$(dirname "$0")/.."
./hack/testbin/install.sh >/dev/null
./hack/testbin/install-tofu.sh >/dev/null
# The Cloudflare Worker witness runs under Miniflare (workerd) from npm.
if [[ ! -d witness/cloudflare/node_modules/miniflare ]]; then
  (cd witness/cloudflare && npm ci --no-audit --no-fund >/dev/null)
fi
