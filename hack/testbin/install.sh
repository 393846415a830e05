#!/usr/bin/env bash
# Builds the real kube-apiserver and etcd that the test harness runs, from the
# Go module proxy, into a cache outside the clone keyed by their versions, and
# prints that directory (use it as KUBEBUILDER_ASSETS). A second run with the
# same versions is a no-op.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kube_version=$(awk '$1=="require" && $2=="k8s.io/kubernetes" {print $3}' "$here/kube-apiserver/go.mod")
etcd_version=$(awk '$1=="require" && $2=="go.etcd.io/etcd/server/v3" {print $3}' "$here/etcd/go.mod")
cache=${OPENOVA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/openova}
dir="$cache/testbin/kube-$kube_version-etcd-$etcd_version"
if [[ -x "$dir/kube-apiserver" && -x "$dir/etcd" ]]; then
  echo "$dir"
  exit 0
fi
mkdir -p "$dir"
tmp=$(mktemp -d "$dir/.build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
echo "building kube-apiserver $kube_version and etcd $etcd_version into $dir (first time only, a few minutes)" >&2
(cd "$here/kube-apiserver" && CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$tmp/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
(cd "$here/etcd" && CGO_ENABLED=0 go build -trimpath -ldflags=-s -o "$tmp/etcd" .)
mv "$tmp/kube-apiserver" "$tmp/etcd" "$dir/"
echo "$dir"
