#!/usr/bin/env bash
# Starts and stops single-node Apache Kafka brokers (KRaft) on 127.0.0.1 for tests and demos.
#
#   scripts/kafka.sh start  [options]   resolve jars, format the log dir if new, start, wait for metadata
#   scripts/kafka.sh stop   [options]   SIGTERM the broker and wait for it to exit (data is kept)
#   scripts/kafka.sh status [options]   print the broker's addresses; exit 0 if running, 3 if not
#   scripts/kafka.sh clean  [options]   stop it and delete its directory (data, TLS material)
#   scripts/kafka.sh fetch  [options]   only resolve the jars of --version
#   scripts/kafka.sh read-topic --topic T [options]   print every record of T, read by the Java client
#                          (--isolation read_committed: only what committed transactions wrote)
#   scripts/kafka.sh wait   [options]   wait until a broker started with --no-wait answers metadata
#   scripts/kafka.sh kill   [options]   SIGKILL the broker (a crash; data is kept)
# A 3-node cluster is scripts/kafka-cluster.sh, which runs this script per node.
#
# Options (each also from the environment variable in brackets):
#   --version V            Kafka version [KAFKA_VERSION], default 4.4.0; aliases: 3.9 = 3.9.2, 4 = 4.4.0
#   --name N               broker name [KAFKA_NAME], default kafka-<version>; several may run at once
#   --port P               PLAINTEXT port [KAFKA_PORT]; default 19092 for 3.x, 29092 for 4.x.
#                          The controller listens on P+1, SASL_PLAINTEXT on P+2, SSL on P+3,
#                          SASL_SSL on P+4 (with both --sasl and --ssl). Keep them below the kernel's
#                          ephemeral range (ip_local_port_range, 32768+ by default): `start` warns if not.
#   --sasl                 add a SASL_PLAINTEXT listener with SCRAM-SHA-256, SCRAM-SHA-512, PLAIN and
#                          OAUTHBEARER (Kafka's unsecured JWT validator: alg none, sub and exp claims)
#   --scram-user U:P       a SASL user (repeatable), default kafka-test:kafka-test-secret. SCRAM users
#                          are written at format time, so they apply to a new log dir (see --fresh)
#   --ssl                  add an SSL listener with a certificate from a CA made for this broker; with
#                          --sasl also a SASL_SSL listener (the same mechanisms, no client certificate)
#   --ssl-client-auth A    none (default) or required (clients must present a cert from that CA)
#   --message-max-bytes N  broker message.max.bytes [KAFKA_MESSAGE_MAX_BYTES], default Kafka's 1048588
#   --partitions N         num.partitions of auto-created topics, default 3
#   --fresh                delete the broker's data and TLS material first
#   --heap SIZE            JVM -Xmx [KAFKA_HEAP], default 512m
#   --timeout S            seconds to wait for start or stop, default 90
#   --topic T              read-topic: the topic to print (partition offset key headers value, base64)
#   --isolation L          read-topic: the consumer's isolation.level, read_uncommitted (default) or read_committed
#   --bootstrap B          read-topic: the brokers to read from, default this broker (a cluster's list)
#   --node-id I            KRaft node id, default 1 (each node is broker and controller)
#   --voters V             controller.quorum.voters, default I@127.0.0.1:<P+1> (a cluster of one)
#   --cluster-id C         cluster id to format a new log dir with (all nodes of a cluster share it)
#   --replication R        replication factor of new topics and internal topics, default 1;
#                          above 1, min.insync.replicas is 2
#   --no-wait              start returns once the JVM runs; `wait` then waits for metadata
# Other environment: KAFKA_CACHE_DIR (default <repo>/.cache/kafka), JAVA (default: $JAVA_HOME/bin/java or java),
# KAFKA_LOG_LEVEL (broker log level in broker.log, default warn).
# The jars come from Maven Central through scripts/kafka/pom.xml (kafka_2.13 + slf4j-simple), cached in ~/.m2.
#
# After start, <cache>/brokers/<name>/broker.env holds KAFKA_BOOTSTRAP, KAFKA_SASL_BOOTSTRAP,
# KAFKA_SSL_BOOTSTRAP, KAFKA_SASL_SSL_BOOTSTRAP and the TLS file paths; `start` and `status` print the same lines.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache_dir="${KAFKA_CACHE_DIR:-$repo_root/.cache/kafka}"

die() { echo "kafka.sh: $*" >&2; exit 1; }

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

command="${1:-}"
[[ -n "$command" ]] && shift
if [[ "$command" == -h || "$command" == --help ]]; then usage; exit 0; fi
version="${KAFKA_VERSION:-4.4.0}"
name="${KAFKA_NAME:-}"
port="${KAFKA_PORT:-}"
heap="${KAFKA_HEAP:-512m}"
message_max_bytes="${KAFKA_MESSAGE_MAX_BYTES:-}"
partitions=3
sasl=false
topic=""
isolation=read_uncommitted
bootstrap=""
ssl=false
ssl_client_auth=none
fresh=false
timeout=90
scram_users=()
node_id=1
voters=""
cluster_id_flag=""
replication=1
wait_for_metadata=true

while [[ $# -gt 0 ]]; do
  case "$1" in
    --version) version="$2"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    --port) port="$2"; shift 2 ;;
    --sasl) sasl=true; shift ;;
    --topic) topic="$2"; shift 2 ;;
    --isolation) isolation="$2"; shift 2 ;;
    --bootstrap) bootstrap="$2"; shift 2 ;;
    --scram-user) scram_users+=("$2"); shift 2 ;;
    --ssl) ssl=true; shift ;;
    --ssl-client-auth) ssl_client_auth="$2"; shift 2 ;;
    --message-max-bytes) message_max_bytes="$2"; shift 2 ;;
    --partitions) partitions="$2"; shift 2 ;;
    --fresh) fresh=true; shift ;;
    --heap) heap="$2"; shift 2 ;;
    --timeout) timeout="$2"; shift 2 ;;
    --node-id) node_id="$2"; shift 2 ;;
    --voters) voters="$2"; shift 2 ;;
    --cluster-id) cluster_id_flag="$2"; shift 2 ;;
    --replication) replication="$2"; shift 2 ;;
    --no-wait) wait_for_metadata=false; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

case "$version" in
  3.9) version=3.9.2 ;;
  4) version=4.4.0 ;;
esac
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "--version must look like 3.9.2 or 4.4.0, got '$version'"
major="${version%%.*}"
(( major >= 3 )) || die "only KRaft-capable versions (3.x, 4.x) are supported, got $version"
if [[ -z "$port" ]]; then
  if (( major == 3 )); then port=19092; else port=29092; fi
fi
[[ "$port" =~ ^[0-9]+$ ]] || die "--port must be a number, got '$port'"
[[ "$ssl_client_auth" == none || "$ssl_client_auth" == required ]] || die "--ssl-client-auth must be none or required"
[[ "$isolation" == read_uncommitted || "$isolation" == read_committed ]] || die "--isolation must be read_uncommitted or read_committed"
[[ -n "$name" ]] || name="kafka-$version"
[[ "$name" =~ ^[A-Za-z0-9._-]+$ ]] || die "--name may hold letters, digits, '.', '_' and '-' only, got '$name'"
(( ${#scram_users[@]} > 0 )) || scram_users=("kafka-test:kafka-test-secret")

controller_port=$((port + 1))
[[ -n "$voters" ]] || voters="$node_id@127.0.0.1:$controller_port"
[[ "$replication" =~ ^[1-9]$ ]] || die "--replication must be 1 to 9, got '$replication'"
# One replica may be away (a restart) while writes with acks=all still succeed.
min_isr=1
(( replication > 1 )) && min_isr=2
sasl_port=$((port + 2))
ssl_port=$((port + 3))
sasl_ssl_port=$((port + 4))
jars_dir="$cache_dir/jars/$version"
broker_dir="$cache_dir/brokers/$name"
pid_file="$broker_dir/broker.pid"
log_file="$broker_dir/broker.log"
env_file="$broker_dir/broker.env"
tls_dir="$broker_dir/tls"
# Not secret: a throwaway store for a test broker on loopback.
store_password="kafka-test-store"

if [[ -n "${JAVA:-}" ]]; then java_bin="$JAVA"
elif [[ -n "${JAVA_HOME:-}" ]]; then java_bin="$JAVA_HOME/bin/java"
else java_bin=java; fi

running_pid() {
  [[ -f "$pid_file" ]] || return 1
  local pid
  pid="$(cat "$pid_file")"
  # Guard against pid reuse: the process must still be this broker's JVM.
  if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q "kafka.Kafka $broker_dir/server.properties"; then
    echo "$pid"
    return 0
  fi
  return 1
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# The kernel hands ports of ip_local_port_range to outgoing connections: one of them may hold a
# listener's port at the moment the broker binds it, and the broker then fails to start.
warn_if_ephemeral() {
  local range_file=/proc/sys/net/ipv4/ip_local_port_range low high
  [[ -r "$range_file" ]] || return 0
  read -r low high < "$range_file"
  if (( $1 >= low && $1 <= high )); then
    echo "kafka.sh: warning: port $1 is in the kernel's ephemeral range $low-$high; an outgoing connection may take it before the broker binds it (pick a --port below $low)" >&2
  fi
}

fetch_jars() {
  [[ -f "$jars_dir/.complete" ]] && return 0
  command -v mvn >/dev/null || die "mvn is needed to fetch the Kafka jars"
  mkdir -p "$cache_dir/jars"
  # Two brokers of one version may start at once: one resolves, the other waits for it.
  exec 9>"$cache_dir/jars/$version.lock"
  flock 9
  if [[ ! -f "$jars_dir/.complete" ]]; then
    echo "kafka.sh: resolving Apache Kafka $version jars with Maven (cached in ~/.m2)" >&2
    local staging="$jars_dir.partial"
    rm -rf "$staging" "$jars_dir"
    mvn -B -q -Dstyle.color=never -f "$repo_root/scripts/kafka/pom.xml" dependency:copy-dependencies \
      -Dkafka.version="$version" -DincludeScope=runtime -DoutputDirectory="$staging" >&2 \
      || die "Maven could not resolve org.apache.kafka:kafka_2.13:$version"
    touch "$staging/.complete"
    mv "$staging" "$jars_dir"
  fi
  flock -u 9
}

make_tls_material() {
  [[ -f "$tls_dir/broker.p12" ]] && return 0
  command -v openssl >/dev/null || die "openssl is needed for --ssl"
  command -v keytool >/dev/null || die "keytool is needed for --ssl"
  mkdir -p "$tls_dir"
  local days=30
  # A CA of its own per broker, so a test can trust exactly this broker and sign client certs.
  openssl req -x509 -newkey rsa:2048 -nodes -days "$days" -subj "/CN=$name test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$tls_dir/ca.key" -out "$tls_dir/ca.pem" 2>/dev/null
  local who
  for who in broker client; do
    local cn="localhost"
    [[ "$who" == client ]] && cn="kafka-test-client"
    openssl req -newkey rsa:2048 -nodes -subj "/CN=$cn" \
      -keyout "$tls_dir/$who.key" -out "$tls_dir/$who.csr" 2>/dev/null
    printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n' > "$tls_dir/$who.ext"
    openssl x509 -req -in "$tls_dir/$who.csr" -CA "$tls_dir/ca.pem" -CAkey "$tls_dir/ca.key" -CAcreateserial \
      -days "$days" -extfile "$tls_dir/$who.ext" -out "$tls_dir/$who.pem" 2>/dev/null
    rm -f "$tls_dir/$who.csr" "$tls_dir/$who.ext"
  done
  openssl pkcs12 -export -name broker -in "$tls_dir/broker.pem" -inkey "$tls_dir/broker.key" \
    -certfile "$tls_dir/ca.pem" -passout "pass:$store_password" -out "$tls_dir/broker.p12"
  keytool -importcert -noprompt -alias ca -file "$tls_dir/ca.pem" -storetype PKCS12 \
    -keystore "$tls_dir/truststore.p12" -storepass "$store_password" >/dev/null 2>&1
}

write_server_properties() {
  local listeners="PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$controller_port"
  local advertised="PLAINTEXT://127.0.0.1:$port"
  local protocols="PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT"
  if $sasl; then
    listeners+=",SASL_PLAINTEXT://127.0.0.1:$sasl_port"
    advertised+=",SASL_PLAINTEXT://127.0.0.1:$sasl_port"
    protocols+=",SASL_PLAINTEXT:SASL_PLAINTEXT"
  fi
  if $ssl; then
    listeners+=",SSL://127.0.0.1:$ssl_port"
    advertised+=",SSL://127.0.0.1:$ssl_port"
    protocols+=",SSL:SSL"
  fi
  if $sasl && $ssl; then
    listeners+=",SASL_SSL://127.0.0.1:$sasl_ssl_port"
    advertised+=",SASL_SSL://127.0.0.1:$sasl_ssl_port"
    protocols+=",SASL_SSL:SASL_SSL"
  fi
  {
    echo "process.roles=broker,controller"
    echo "node.id=$node_id"
    echo "controller.quorum.voters=$voters"
    echo "listeners=$listeners"
    echo "advertised.listeners=$advertised"
    echo "listener.security.protocol.map=$protocols"
    echo "controller.listener.names=CONTROLLER"
    echo "inter.broker.listener.name=PLAINTEXT"
    echo "log.dirs=$broker_dir/data"
    echo "num.partitions=$partitions"
    echo "default.replication.factor=$replication"
    echo "min.insync.replicas=$min_isr"
    echo "offsets.topic.replication.factor=$replication"
    echo "offsets.topic.num.partitions=3"
    echo "transaction.state.log.replication.factor=$replication"
    echo "transaction.state.log.min.isr=$min_isr"
    echo "share.coordinator.state.topic.replication.factor=$replication"
    echo "share.coordinator.state.topic.min.isr=$min_isr"
    echo "group.initial.rebalance.delay.ms=0"
    echo "auto.create.topics.enable=true"
    [[ -n "$message_max_bytes" ]] && echo "message.max.bytes=$message_max_bytes"
    if $sasl; then
      echo "sasl.enabled.mechanisms=SCRAM-SHA-256,SCRAM-SHA-512,PLAIN,OAUTHBEARER"
      local plain_users="" entry listener
      for entry in "${scram_users[@]}"; do plain_users+=" user_${entry%%:*}=\"${entry#*:}\""; done
      for listener in sasl_plaintext $($ssl && echo sasl_ssl); do
        echo "listener.name.$listener.oauthbearer.sasl.jaas.config=org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required;"
        echo "listener.name.$listener.scram-sha-256.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
        echo "listener.name.$listener.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;"
        echo "listener.name.$listener.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required$plain_users;"
      done
      # SASL authenticates the client there: no certificate asked, whatever --ssl-client-auth says.
      if $ssl; then echo "listener.name.sasl_ssl.ssl.client.auth=none"; fi
    fi
    if $ssl; then
      echo "ssl.keystore.type=PKCS12"
      echo "ssl.keystore.location=$tls_dir/broker.p12"
      echo "ssl.keystore.password=$store_password"
      echo "ssl.key.password=$store_password"
      echo "ssl.truststore.type=PKCS12"
      echo "ssl.truststore.location=$tls_dir/truststore.p12"
      echo "ssl.truststore.password=$store_password"
      echo "ssl.client.auth=$ssl_client_auth"
    fi
  } > "$broker_dir/server.properties"
}

java_options() {
  # Lean flags for a 2-core test machine: serial GC, small heap, no C2 warm-up at start.
  echo "-Xmx$heap -Xms64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
    -Dorg.slf4j.simpleLogger.defaultLogLevel=${KAFKA_LOG_LEVEL:-warn}
    -Dorg.slf4j.simpleLogger.showDateTime=true"
}

format_log_dir() {
  [[ -f "$broker_dir/data/meta.properties" ]] && return 0
  local cluster_id scram_args=() entry mechanism
  cluster_id="$cluster_id_flag"
  [[ -n "$cluster_id" ]] || cluster_id="$("$java_bin" -cp "$jars_dir/*" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)"
  if $sasl; then
    for entry in "${scram_users[@]}"; do
      for mechanism in SCRAM-SHA-256 SCRAM-SHA-512; do
        scram_args+=(--add-scram "$mechanism=[name=${entry%%:*},password=${entry#*:}]")
      done
    done
  fi
  # shellcheck disable=SC2046
  "$java_bin" $(java_options) -cp "$jars_dir/*" kafka.tools.StorageTool format \
    -t "$cluster_id" -c "$broker_dir/server.properties" "${scram_args[@]}" >> "$log_file" 2>&1 \
    || { tail -20 "$log_file" >&2; die "formatting the log dir of $name failed (see $log_file)"; }
}

write_env_file() {
  {
    echo "KAFKA_NAME=$name"
    echo "KAFKA_VERSION=$version"
    echo "KAFKA_BOOTSTRAP=127.0.0.1:$port"
    if $sasl; then
      echo "KAFKA_SASL_BOOTSTRAP=127.0.0.1:$sasl_port"
      echo "KAFKA_SASL_USERS=$(IFS=,; echo "${scram_users[*]}")"
    fi
    if $ssl; then
      echo "KAFKA_SSL_BOOTSTRAP=127.0.0.1:$ssl_port"
      if $sasl; then echo "KAFKA_SASL_SSL_BOOTSTRAP=127.0.0.1:$sasl_ssl_port"; fi
      echo "KAFKA_TLS_CA_FILE=$tls_dir/ca.pem"
      echo "KAFKA_TLS_CLIENT_CERT_FILE=$tls_dir/client.pem"
      echo "KAFKA_TLS_CLIENT_KEY_FILE=$tls_dir/client.key"
    fi
    echo "KAFKA_LOG_FILE=$log_file"
  } > "$env_file"
}

start() {
  if pid="$(running_pid)"; then
    echo "kafka.sh: $name is already running (pid $pid)" >&2
    cat "$env_file"
    return 0
  fi
  local listener_port
  for listener_port in "$port" "$controller_port" $($sasl && echo "$sasl_port") $($ssl && echo "$ssl_port") $($sasl && $ssl && echo "$sasl_ssl_port"); do
    port_in_use "$listener_port" && die "port $listener_port is in use; pick another base with --port"
    warn_if_ephemeral "$listener_port"
  done
  fetch_jars
  $fresh && rm -rf "$broker_dir"
  mkdir -p "$broker_dir"
  $ssl && make_tls_material
  write_server_properties
  format_log_dir
  echo "=== start $(date -u +%FT%TZ) ===" >> "$log_file"
  # shellcheck disable=SC2046
  setsid nohup "$java_bin" $(java_options) -cp "$jars_dir/*" \
    kafka.Kafka "$broker_dir/server.properties" >> "$log_file" 2>&1 < /dev/null &
  echo $! > "$pid_file"
  # A cluster's nodes start together: none answers before a majority of the controllers runs.
  $wait_for_metadata || return 0
  wait_ready
}

wait_ready() {
  [[ -f "$pid_file" ]] || die "$name was not started"
  if ! node "$repo_root/scripts/kafka/wait-for-metadata.mjs" "127.0.0.1:$port" "$timeout" "$(cat "$pid_file")"; then
    tail -30 "$log_file" >&2
    stop >/dev/null 2>&1 || true
    die "$name did not start (log: $log_file)"
  fi
  write_env_file
  cat "$env_file"
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    echo "kafka.sh: $name is not running" >&2
    rm -f "$pid_file"
    return 0
  fi
  kill -TERM "$pid"
  local waited=0
  while kill -0 "$pid" 2>/dev/null; do
    if (( waited >= timeout * 10 )); then
      echo "kafka.sh: $name did not stop within ${timeout}s, killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "$pid_file"
  echo "kafka.sh: $name stopped" >&2
}

status() {
  local pid
  if pid="$(running_pid)"; then
    echo "KAFKA_PID=$pid"
    cat "$env_file"
    return 0
  fi
  echo "kafka.sh: $name is not running" >&2
  return 3
}

# Every record of --topic, read with the Java client of this Kafka version (scripts/kafka/TopicDump.java).
read_topic() {
  [[ -n "$topic" ]] || die "read-topic needs --topic"
  fetch_jars
  "$java_bin" -Xmx256m -cp "$jars_dir/*" "$repo_root/scripts/kafka/TopicDump.java" "${bootstrap:-127.0.0.1:$port}" "$topic" "$isolation" 2>>"$log_file"
}

case "$command" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  clean) stop; rm -rf "$broker_dir" ;;
  read-topic) read_topic ;;
  wait) wait_ready ;;
  kill) pid="$(running_pid)" || die "$name is not running"; kill -KILL "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done; rm -f "$pid_file" ;;
  fetch) fetch_jars ;;
  *) die "usage: kafka.sh start|wait|stop|kill|status|clean|fetch|read-topic [options] (see --help)" ;;
esac
