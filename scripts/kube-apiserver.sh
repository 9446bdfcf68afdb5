#!/usr/bin/env bash
# Builds the real kube-apiserver and etcd the tests run (test/integration/kube-apiserver), once,
# from the Go module proxy, into ${XDG_CACHE_HOME:-~/.cache}/kube-audit-forwarder/kube-apiserver-<key>/,
# and prints that directory (it holds `kube-apiserver` and `etcd`).
#
#   scripts/kube-apiserver.sh build
#
# k8s.io/kubernetes cannot be `go install`ed: its go.mod points each k8s.io/* staging module at
# ./staging. The wrapper module in scripts/kube-apiserver/ requires it and replaces every staging
# module with the release of the same minor (v1.X.Y -> v0.X.Y); etcd is built from the etcd server
# module kubernetes itself requires, as a two-line main around etcdmain. Both binaries come out of
# one `go build`, so the packages they share are compiled once.
#
# The cache is keyed by the wrapper's go.mod, go.sum and sources and by the Go version, because CI
# runs in a fresh clone but keeps home caches. Concurrent callers build once: the others wait on a
# lock and reuse the binaries.
set -euo pipefail

die() { echo "kube-apiserver.sh: $*" >&2; exit 1; }

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module_dir="$repo_root/scripts/kube-apiserver"
[[ "${1:-}" == build ]] || die "usage: $0 build"

command -v go >/dev/null || die "go is not installed (needed to build kube-apiserver and etcd)"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/kube-audit-forwarder"
key="$({ cat "$module_dir/go.mod" "$module_dir/go.sum" "$module_dir/etcd/main.go"; go version; } | sha256sum | cut -c1-16)"
dir="$cache_root/kube-apiserver-$key"
if [[ -x "$dir/kube-apiserver" && -x "$dir/etcd" ]]; then echo "$dir"; exit 0; fi

mkdir -p "$cache_root"
exec 9>"$cache_root/kube-apiserver-build.lock"
flock 9
if [[ -x "$dir/kube-apiserver" && -x "$dir/etcd" ]]; then echo "$dir"; exit 0; fi
version="$(sed -n 's/^[[:space:]]*k8s.io\/kubernetes \(v[0-9.]*\).*/\1/p' "$module_dir/go.mod" | head -1)"
[[ -n "$version" ]] || die "no k8s.io/kubernetes requirement in $module_dir/go.mod"
IFS=. read -r major minor _ <<<"${version#v}"
echo "kube-apiserver.sh: building kube-apiserver $version and etcd (a cold build downloads their modules and compiles for many minutes)" >&2
work="$(mktemp -d "$cache_root/kube-apiserver-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
started=$SECONDS
# CGO off: static binaries that do not depend on the machine's C toolchain. -trimpath keeps the
# build the same wherever the clone is. The version stamp is what the apiserver reports at /version.
stamp="k8s.io/component-base/version"
(
  cd "$module_dir"
  CGO_ENABLED=0 go build -trimpath \
    -ldflags "-s -w -X $stamp.gitVersion=$version -X $stamp.gitMajor=$major -X $stamp.gitMinor=$minor" \
    -o "$work/" k8s.io/kubernetes/cmd/kube-apiserver ./etcd
) >&2 || die "building kube-apiserver $version and etcd failed"
echo "kube-apiserver.sh: built in $((SECONDS - started)) s" >&2
mkdir -p "$dir.tmp"
mv "$work/kube-apiserver" "$work/etcd" "$dir.tmp/"
rm -rf "$dir"
mv "$dir.tmp" "$dir"
echo "$dir"
