#!/usr/bin/env bash
# A real Prometheus Alertmanager for tests and demos, built from the Go module proxy
# (github.com/prometheus/alertmanager/cmd/alertmanager). Tests start it on 127.0.0.1 themselves.
#
#   scripts/alertmanager.sh build     build Alertmanager unless the cache has it; print the binary's path
#
# The binary is cached in ${XDG_CACHE_HOME:-~/.cache}/kube-audit-forwarder/alertmanager-<version>/,
# because CI runs in a fresh clone but keeps home caches. A cold build (module downloads and
# compile on 2 cores) takes a few minutes; a warm one is instant.
#
# The module as published lacks the compiled web UI (ui/app/dist is produced by an npm build and
# is not in the module zip), so `go install` fails on its go:embed. The build copies the module
# source and puts a one-page placeholder where the UI would be: the API (/api/v2) and everything
# else are Alertmanager's own code, unchanged.
set -euo pipefail

version="v0.35.0"
module="github.com/prometheus/alertmanager"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/kube-audit-forwarder"
binary="$cache_root/alertmanager-$version/alertmanager"

die() { echo "alertmanager.sh: $*" >&2; exit 1; }

build() {
  command -v go >/dev/null || die "go is not installed (needed to build Alertmanager)"
  if [[ -x "$binary" ]]; then echo "$binary"; return; fi
  mkdir -p "$cache_root"
  # Two test runs may start cold at once; only one builds, the other waits and reuses the result.
  exec 9>"$cache_root/alertmanager-build.lock"
  flock 9
  if [[ -x "$binary" ]]; then echo "$binary"; return; fi
  local work; work="$(mktemp -d "$cache_root/alertmanager-build.XXXXXX")"
  echo "alertmanager.sh: building Alertmanager $version (cold builds take a few minutes)" >&2
  (
    cd "$work"
    GOFLAGS=-mod=mod go mod download -json "$module@$version" > download.json
    local source; source="$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' download.json)"
    [[ -d "$source" ]] || die "go mod download did not report the module directory"
    cp -r "$source" src
    chmod -R u+w src
    for ui in elm mantine; do
      mkdir -p "src/ui/app/dist/$ui"
      echo '<!doctype html><title>Alertmanager</title><p>Web UI not built; use /api/v2.</p>' > "src/ui/app/dist/$ui/index.html"
    done
    cd src
    go build -trimpath -o "$work/alertmanager" ./cmd/alertmanager
  ) > "$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; die "build failed; full log in $work/build.log"; }
  mkdir -p "$(dirname "$binary")"
  mv "$work/alertmanager" "$binary.tmp"
  mv "$binary.tmp" "$binary"
  rm -rf "$work"
  echo "$binary"
}

case "${1:-}" in
  build) build ;;
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
  *) die "usage: $0 build (see --help)" ;;
esac
