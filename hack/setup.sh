#!/usr/bin/env bash
# Builds or installs, once, everything the tests run for real, into caches
# outside the clone keyed by version. Safe to run again: each step is a no-op
# when its output is there.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian packages the tests run for real: redis-server (Valkey's stand-in),
# PostgreSQL (the wizard's hosted store), Chromium (browser tests).
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
command -v chromium >/dev/null || missing+=(chromium)
if ((${#missing[@]})); then
  echo "installing ${missing[*]} with apt-get" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
./hack/testbin/install.sh >/dev/null
./hack/testbin/install-tofu.sh >/dev/null
./hack/testbin/install-gitea.sh >/dev/null  # real Gitea for the pull-request tests (minutes, first time only)
# The Cloudflare Worker witness runs under Miniflare (workerd) from npm.
if [[ ! -d witness/cloudflare/node_modules/miniflare ]]; then
  (cd witness/cloudflare && npm ci --no-audit --no-fund >/dev/null)
fi
