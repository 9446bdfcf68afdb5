#!/usr/bin/env bash
# Builds a Go command-line tool the tests run (Helm, promtool) from the Go module proxy, once, into
# ${XDG_CACHE_HOME:-~/.cache}/kube-audit-forwarder/<tool>-<version>/, and prints its path.
#
#   scripts/go-tool.sh helm        helm.sh/helm/v4/cmd/helm
#   scripts/go-tool.sh promtool    github.com/prometheus/prometheus/cmd/promtool
#
# The cache is keyed by the tool's version and the Go version, because CI runs in a fresh clone but
# keeps home caches. Concurrent callers build once: the others wait on a lock and reuse the binary.
set -euo pipefail

die() { echo "go-tool.sh: $*" >&2; exit 1; }

tool="${1:-}"
case "$tool" in
  helm) module="helm.sh/helm/v4/cmd/helm"; version="v4.3.1" ;;
  promtool) module="github.com/prometheus/prometheus/cmd/promtool"; version="v0.316.0" ;;
  *) die "usage: $0 helm|promtool" ;;
esac

command -v go >/dev/null || die "go is not installed (needed to build $tool)"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/kube-audit-forwarder"
go_version="$(go env GOVERSION)"
dir="$cache_root/$tool-$version-$go_version"
binary="$dir/$tool"
if [[ -x "$binary" ]]; then echo "$binary"; exit 0; fi

mkdir -p "$cache_root"
exec 9>"$cache_root/$tool-build.lock"
flock 9
if [[ -x "$binary" ]]; then echo "$binary"; exit 0; fi
echo "go-tool.sh: building $module@$version (a cold build downloads its modules and takes minutes)" >&2
work="$(mktemp -d "$cache_root/$tool-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# CGO off: a static binary that does not depend on the C toolchain of the machine.
CGO_ENABLED=0 GOBIN="$work" go install -trimpath "$module@$version" >&2 || die "building $module@$version failed"
mkdir -p "$dir"
mv "$work/$tool" "$binary.tmp"
mv "$binary.tmp" "$binary"
echo "$binary"
