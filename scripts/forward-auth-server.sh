#!/usr/bin/env bash
# A forward-protocol server that implements what the OpenTelemetry receiver does not: the
# HELO/PING/PONG handshake (shared key, optional user/password) and TLS. It is the FluentServer of
# the npm package @fluent-org/logger (an implementation independent of ours), run by
# scripts/forward/auth-server.mjs. Fluentd and Fluent Bit are not installable here (RubyGems is
# unreachable; Debian bookworm, bullseye and trixie package neither), so this is the real peer.
# It acks on receipt (not durably): it proves authentication and TLS, not delivery.
#
#   scripts/forward-auth-server.sh start  [options]   install the package if needed, start, wait for the port
#   scripts/forward-auth-server.sh stop   [options]
#   scripts/forward-auth-server.sh status [options]   exit 0 if running, 3 if not
#   scripts/forward-auth-server.sh certs  [options]   only make the test CA, server and client certificates
#
# Options (each also from the environment variable in brackets):
#   --port P              [FORWARD_AUTH_SERVER_PORT] default 24225
#   --shared-key K        [FORWARD_AUTH_SERVER_SHARED_KEY] default kaf-test-shared-key
#   --server-hostname H   hostname the server puts in PONG, default forward-auth-server.test
#   --user NAME:PASSWORD  require user authentication with this user (repeatable)
#   --tls                 listen with TLS, certificate from the CA in <dir>/tls (made if missing)
#   --client-auth         with --tls: require a client certificate signed by that CA
#   --dir D               run directory [FORWARD_AUTH_SERVER_DIR], default <repo>/.run/forward-auth-server-<port>
#   --output F            received entries as JSON lines, default <dir>/received.jsonl
#   --timeout S           seconds to wait for start or stop, default 30
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
package="@fluent-org/logger"
package_version="1.0.10"
package_dir="${XDG_CACHE_HOME:-$HOME/.cache}/kube-audit-forwarder/fluent-org-logger-$package_version"

die() { echo "forward-auth-server.sh: $*" >&2; exit 1; }

show_help() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

command="${1:-}"
[[ -n "$command" ]] && shift
if [[ "$command" == -h || "$command" == --help ]]; then show_help; exit 0; fi
port="${FORWARD_AUTH_SERVER_PORT:-24225}"
shared_key="${FORWARD_AUTH_SERVER_SHARED_KEY:-kaf-test-shared-key}"
server_hostname="forward-auth-server.test"
users=()
tls=false
client_auth=false
run_dir="${FORWARD_AUTH_SERVER_DIR:-}"
output=""
timeout=30

while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --shared-key) shared_key="$2"; shift 2 ;;
    --server-hostname) server_hostname="$2"; shift 2 ;;
    --user) [[ "$2" == *:* ]] || die "--user wants NAME:PASSWORD"; users+=("$2"); shift 2 ;;
    --tls) tls=true; shift ;;
    --client-auth) client_auth=true; shift ;;
    --dir) run_dir="$2"; shift 2 ;;
    --output) output="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    -h|--help) show_help; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[[ "$port" =~ ^[0-9]+$ ]] || die "--port must be a number, got '$port'"
run_dir="${run_dir:-$repo_root/.run/forward-auth-server-$port}"
output="${output:-$run_dir/received.jsonl}"
tls_dir="$run_dir/tls"
pid_file="$run_dir/server.pid"
log_file="$run_dir/server.log"
# shellcheck source=forward/server-process.sh
source "$repo_root/scripts/forward/server-process.sh"

install_package() {
  [[ -f "$package_dir/node_modules/$package/package.json" ]] && return
  mkdir -p "$package_dir"
  npm install --prefix "$package_dir" --no-save --no-package-lock --no-audit --no-fund "$package@$package_version" >&2 \
    || die "npm install $package@$package_version failed"
}

# A CA, a server certificate for 127.0.0.1/localhost and a client certificate, valid for a year.
make_certs() {
  [[ -f "$tls_dir/client.pem" ]] && return
  command -v openssl >/dev/null || die "openssl is needed to make test certificates"
  mkdir -p "$tls_dir"
  (
    cd "$tls_dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=kaf-forward-test-ca" -keyout ca.key -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > server.ext
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 -extfile server.ext -out server.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-audit-forwarder" -keyout client.key -out client.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' > client.ext
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 365 -extfile client.ext -out client.pem 2>/dev/null
    rm -f ./*.csr ./*.ext ca.srl
  )
}

print_status() {
  echo "FORWARD_AUTH_SERVER_ADDRESS=127.0.0.1:$port"
  echo "FORWARD_AUTH_SERVER_PID=$1"
  echo "FORWARD_AUTH_SERVER_OUTPUT=$output"
  echo "FORWARD_AUTH_SERVER_LOG=$log_file"
  if $tls; then
    echo "FORWARD_AUTH_SERVER_TLS_CA=$tls_dir/ca.pem"
    echo "FORWARD_AUTH_SERVER_TLS_CLIENT_CERT=$tls_dir/client.pem"
    echo "FORWARD_AUTH_SERVER_TLS_CLIENT_KEY=$tls_dir/client.key"
  fi
}

start() {
  local pid
  if pid="$(running_pid)"; then print_status "$pid"; return; fi
  install_package
  mkdir -p "$run_dir" "$(dirname "$output")"
  $tls && make_certs
  local config
  config="$(node -e '
    const [packageDir, port, sharedKey, serverHostname, output, tls, clientAuth, tlsDir, ...users] = process.argv.slice(1);
    console.log(JSON.stringify({
      packageDir, port: Number(port), sharedKey, serverHostname, output,
      users: Object.fromEntries(users.map((user) => [user.slice(0, user.indexOf(":")), user.slice(user.indexOf(":") + 1)])),
      tls: tls === "true" ? { key: `${tlsDir}/server.key`, cert: `${tlsDir}/server.pem`, ca: `${tlsDir}/ca.pem`, requestCert: clientAuth === "true" } : undefined,
    }));' "$package_dir" "$port" "$shared_key" "$server_hostname" "$output" "$tls" "$client_auth" "$tls_dir" ${users[@]+"${users[@]}"})"
  pid="$(FORWARD_AUTH_SERVER_CONFIG="$config" launch_and_wait node "$repo_root/scripts/forward/auth-server.mjs")"
  print_status "$pid"
}

case "$command" in
  start) start ;;
  stop) stop_server ;;
  certs) make_certs; echo "$tls_dir" ;;
  status)
    if pid="$(running_pid)"; then print_status "$pid"; else echo "not running on 127.0.0.1:$port"; exit 3; fi ;;
  *) die "usage: $0 start|stop|status|certs [options] (see --help)" ;;
esac
