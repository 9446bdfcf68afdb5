#!/usr/bin/env bash
# A 3-node Apache Kafka cluster (KRaft, every node broker and controller) on 127.0.0.1, for
# tests of leader failover and rolling restarts: replication factor 3, min.insync.replicas 2.
# Each node is a scripts/kafka.sh broker named <name>-<i>, on ports base+10*(i-1) (PLAINTEXT)
# and +1 (controller).
#
#   scripts/kafka-cluster.sh start [options]   start the nodes that are not running, wait for all
#   scripts/kafka-cluster.sh stop  [options]   SIGTERM every node (data is kept)
#   scripts/kafka-cluster.sh clean [options]   stop and delete every node's data
#
# Options: --version V (default 4.4.0), --name N (default kafka-cluster), --base-port P (default
# 23092), --fresh (new data and cluster id). One node is started, stopped or killed with
# scripts/kafka.sh and the node's flags, which `start` prints as KAFKA_NODE_<i>_FLAGS.
# `start` prints KAFKA_BOOTSTRAP (all three nodes) and each node's flags.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="${KAFKA_CACHE_DIR:-$repo_root/.cache/kafka}"
kafka_sh="$repo_root/scripts/kafka.sh"
nodes=3

die() { echo "kafka-cluster.sh: $*" >&2; exit 1; }

command="${1:-}"
[[ -n "$command" ]] && shift
version=4.4.0
name=kafka-cluster
base_port=23092
fresh=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    --base-port) base_port="$2"; shift 2 ;;
    --fresh) fresh=true; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[[ "$base_port" =~ ^[0-9]+$ ]] || die "--base-port must be a number, got '$base_port'"

node_port() { echo $((base_port + 10 * ($1 - 1))); }

voters() {
  local i list=""
  for ((i = 1; i <= nodes; i++)); do list+="${list:+,}$i@127.0.0.1:$(($(node_port "$i") + 1))"; done
  echo "$list"
}

# The flags that make scripts/kafka.sh address node i (start also takes the cluster's layout).
node_flags() {
  echo "--version $version --name $name-$1 --port $(node_port "$1")"
}

cluster_id() {
  local file="$cache_dir/clusters/$name/cluster.id"
  if $fresh || [[ ! -f "$file" ]]; then
    mkdir -p "$(dirname "$file")"
    bash "$kafka_sh" fetch --version "$version"
    java -cp "$cache_dir/jars/$version/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1 > "$file"
  fi
  cat "$file"
}

start() {
  local id i bootstrap=""
  id="$(cluster_id)"
  for ((i = 1; i <= nodes; i++)); do
    # shellcheck disable=SC2046
    bash "$kafka_sh" start $(node_flags "$i") --node-id "$i" --voters "$(voters)" --cluster-id "$id" \
      --replication "$nodes" --no-wait --heap 384m $($fresh && echo --fresh) > /dev/null
  done
  for ((i = 1; i <= nodes; i++)); do
    # shellcheck disable=SC2046
    bash "$kafka_sh" wait $(node_flags "$i") --timeout 180 > /dev/null
    bootstrap+="${bootstrap:+,}127.0.0.1:$(node_port "$i")"
  done
  echo "KAFKA_BOOTSTRAP=$bootstrap"
  for ((i = 1; i <= nodes; i++)); do echo "KAFKA_NODE_${i}_FLAGS=$(node_flags "$i")"; done
}

# All nodes at once: a node stopped after the others would wait for a controller quorum that is gone.
each_node() {
  local i status=0
  # shellcheck disable=SC2046
  for ((i = 1; i <= nodes; i++)); do bash "$kafka_sh" "$1" $(node_flags "$i") & done
  for ((i = 1; i <= nodes; i++)); do wait -n || status=1; done
  return "$status"
}

case "$command" in
  start) start ;;
  stop) each_node stop ;;
  clean) each_node clean; rm -rf "$cache_dir/clusters/$name" ;;
  *) die "usage: kafka-cluster.sh start|stop|clean [options] (see --help)" ;;
esac
