#!/usr/bin/env bash
# Builds the real OpenTofu CLI that the generator's tests run (tofu fmt,
# tofu validate), from the Go module proxy, into a cache outside the clone
# keyed by its version, and prints that directory. A second run with the same
# version is a no-op.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(awk '$1=="require" && $2=="github.com/opentofu/opentofu" {print $3}' "$here/tofu/go.mod")
cache=${OPENOVA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/openova}
dir="$cache/testbin/tofu-$version"
if [[ -x "$dir/tofu" ]]; then
  echo "$dir"
  exit 0
fi
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "building tofu $version into $dir (first time only, a few minutes)" >&2
(cd "$here/tofu" && CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$tmp/tofu" github.com/opentofu/opentofu/cmd/tofu)
mv "$tmp/tofu" "$dir/"
echo "$dir"
