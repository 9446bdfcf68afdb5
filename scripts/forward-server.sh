#!/usr/bin/env bash
# A real Fluent forward-protocol server for tests and demos: an OpenTelemetry Collector built with
# the collector builder from scripts/forward/otelcol-builder.yaml (contrib fluentforwardreceiver,
# which acks a chunk only after the pipeline accepted it, and fileexporter, which writes what it
# received as OTLP JSON lines that tests read back).
#
#   scripts/forward-server.sh build              build the collector unless the cache has it; print its path
#   scripts/forward-server.sh start  [options]   build if needed, start on 127.0.0.1, wait until it accepts
#   scripts/forward-server.sh stop   [options]   SIGTERM (the exporter flushes its file), wait for the exit
#   scripts/forward-server.sh status [options]   print port, pid and output file; exit 0 if running, 3 if not
#
# Options (each also from the environment variable in brackets):
#   --port P        forward port [FORWARD_SERVER_PORT], default 24224
#   --dir D         run directory (pid, log, rendered config) [FORWARD_SERVER_DIR],
#                   default <repo>/.run/forward-server-<port>
#   --output F      file the exporter appends to [FORWARD_SERVER_OUTPUT], default <dir>/received.otlp.jsonl
#   --timeout S     seconds to wait for start or stop, default 60
#
# The binary is cached in ${XDG_CACHE_HOME:-~/.cache}/kube-audit-forwarder/otelcol-<hash>/, keyed by the
# manifest, the builder version and the Go version, because CI runs in a fresh clone but keeps home
# caches. A cold build (module downloads + compile on 2 cores) takes a few minutes; a warm one is instant.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
manifest="$repo_root/scripts/forward/otelcol-builder.yaml"
config_template="$repo_root/scripts/forward/otelcol-config.yaml"
builder_module="go.opentelemetry.io/collector/cmd/builder"
builder_version="v0.165.0"
binary_name="otelcol-kaf-forward"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/kube-audit-forwarder"

die() { echo "forward-server.sh: $*" >&2; exit 1; }

show_help() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

command="${1:-}"
[[ -n "$command" ]] && shift
if [[ "$command" == -h || "$command" == --help ]]; then show_help; exit 0; fi
port="${FORWARD_SERVER_PORT:-24224}"
run_dir="${FORWARD_SERVER_DIR:-}"
output="${FORWARD_SERVER_OUTPUT:-}"
timeout=60

while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --dir) run_dir="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    -h|--help) show_help; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[[ "$port" =~ ^[0-9]+$ ]] || die "--port must be a number, got '$port'"
run_dir="${run_dir:-$repo_root/.run/forward-server-$port}"
output="${output:-$run_dir/received.otlp.jsonl}"
pid_file="$run_dir/otelcol.pid"
log_file="$run_dir/otelcol.log"
# shellcheck source=forward/server-process.sh
source "$repo_root/scripts/forward/server-process.sh"

cache_key() {
  { cat "$manifest"; echo "$builder_version"; go version; } | sha256sum | cut -c1-16
}

binary_path() {
  echo "$cache_root/otelcol-$(cache_key)/$binary_name"
}

build() {
  command -v go >/dev/null || die "go is not installed (needed to build the collector)"
  local binary; binary="$(binary_path)"
  if [[ -x "$binary" ]]; then echo "$binary"; return; fi
  mkdir -p "$cache_root"
  # Two test runs may start cold at once; only one builds, the other waits and reuses the result.
  exec 9>"$cache_root/otelcol-build.lock"
  flock 9
  if [[ -x "$binary" ]]; then echo "$binary"; return; fi
  local builder="$cache_root/tools/builder-$builder_version/builder"
  if [[ ! -x "$builder" ]]; then
    echo "forward-server.sh: installing the collector builder $builder_version" >&2
    GOBIN="$(dirname "$builder")" go install "$builder_module@$builder_version" >&2
  fi
  local work; work="$(mktemp -d "$cache_root/otelcol-build.XXXXXX")"
  sed "s#OUTPUT_PATH#$work/src#" "$manifest" > "$work/manifest.yaml"
  echo "forward-server.sh: building the collector (cold builds take a few minutes)" >&2
  if ! "$builder" --config "$work/manifest.yaml" > "$work/build.log" 2>&1; then
    tail -30 "$work/build.log" >&2
    die "collector build failed; full log in $work/build.log"
  fi
  mkdir -p "$(dirname "$binary")"
  mv "$work/src/$binary_name" "$binary.tmp"
  mv "$binary.tmp" "$binary"
  rm -rf "$work"
  echo "$binary"
}

print_status() {
  echo "FORWARD_SERVER_ADDRESS=127.0.0.1:$port"
  echo "FORWARD_SERVER_PID=$1"
  echo "FORWARD_SERVER_OUTPUT=$output"
  echo "FORWARD_SERVER_LOG=$log_file"
}

start() {
  local pid
  if pid="$(running_pid)"; then print_status "$pid"; return; fi
  local binary; binary="$(build)"
  mkdir -p "$run_dir" "$(dirname "$output")"
  sed -e "s#@PORT@#$port#" -e "s#@OUTPUT@#$output#" "$config_template" > "$run_dir/otelcol.yaml"
  pid="$(launch_and_wait "$binary" --config "$run_dir/otelcol.yaml")"
  print_status "$pid"
}

case "$command" in
  build) build ;;
  start) start ;;
  stop) stop_server ;;
  status)
    if pid="$(running_pid)"; then print_status "$pid"; else echo "not running on 127.0.0.1:$port"; exit 3; fi ;;
  *) die "usage: $0 build|start|stop|status [options] (see --help)" ;;
esac
