#!/usr/bin/env bash
# Builds the real Gitea server that the pull-request tests run, from the Go
# module proxy with SQLite support, into a cache outside the clone keyed by
# its version, and prints that directory. The directory also holds Gitea's
# options/, templates/ and public/ (its STATIC_ROOT_PATH), copied from the
# module. A second run with the same version is a no-op.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(awk '$1=="require" && $2=="code.gitea.io/gitea" {print $3}' "$here/gitea/go.mod")
cache=${OPENOVA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/openova}
dir="$cache/testbin/gitea-$version"
if [[ -x "$dir/gitea" ]]; then
  echo "$dir"
  exit 0
fi
rm -rf "$dir"; mkdir -p "$dir"  # a half-finished earlier run is discarded
tmp=$(mktemp -d "$dir/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "building gitea $version into $dir (first time only, several minutes)" >&2
cd "$here/gitea"
go build -trimpath -tags 'sqlite sqlite_unlock_notify' -ldflags="-s -X main.Version=${version#v} -X main.Tags=sqlite,sqlite_unlock_notify" -o "$tmp/gitea" code.gitea.io/gitea
src=$(go list -m -f '{{.Dir}}' code.gitea.io/gitea)
for d in options templates public; do
  cp -R "$src/$d" "$tmp/$d"
done
chmod -R u+w "$tmp"
mv "$tmp/options" "$tmp/templates" "$tmp/public" "$dir/"
mv "$tmp/gitea" "$dir/"
echo "$dir"
