#!/usr/bin/env bash
# Local infrastructure of open-bank-go, on loopback only and without Docker:
#   PostgreSQL (Debian's server binaries, a data folder of our own),
#   Apache Kafka in KRaft mode (jars from Maven Central, see deploy/kafka/pom.xml),
#   AxonOps Schema Registry (Go, built from the pinned version in deploy/tools/go.mod),
# then the one-shot synchronizer and the long-running services of this repo.
#
# Usage: deploy/stack.sh up [--infra-only] | down [--clean] | clean | status
#                        | kafka-kill N | kafka-start N | kafka-restart N
# KAFKA_NODES=3 makes Kafka a three-node KRaft cluster on loopback (topics at
# replication 3, min.insync.replicas 2); one node is the default.
# Everything the stack writes lives in STACK_DIR (default <repo>/.local/stack);
# downloaded jars and the registry binary are cached in
# ${XDG_CACHE_HOME:-~/.cache}/open-bank-go.
set -euo pipefail

DEPLOY_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_ROOT=$(cd -- "$DEPLOY_DIR/.." && pwd -P)

# Keep in step with deploy/kafka/pom.xml.
KAFKA_VERSION=4.1.1
SR_MODULE=github.com/axonops/axonops-schema-registry
# Long-running services, in start order (each built from services/<name>).
SERVICES=(command-handler graphql-endpoint heartbeat command-generator)

STACK_DIR=$(realpath -m -- "${STACK_DIR:-$REPO_ROOT/.local/stack}")
CACHE_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/open-bank-go
KAFKA_PORT=${KAFKA_PORT:-9092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-9093}
KAFKA_NODES=${KAFKA_NODES:-1}
KAFKA_PORT_STEP=${KAFKA_PORT_STEP:-10}
SCHEMA_REGISTRY_PORT=${SCHEMA_REGISTRY_PORT:-8081}
DB_PORT=${DB_PORT:-5432}
# Opt-in extra listeners for tests: TLS with required client certificates,
# and a plaintext one that advertises KAFKA_PROXY_PORT while it listens on the
# next port, for a test's TCP proxy in between.
KAFKA_TLS_PORT=${KAFKA_TLS_PORT:-}
KAFKA_PROXY_PORT=${KAFKA_PROXY_PORT:-}
DB_PASSWORD=${DB_PASSWORD:-open-bank}
STACK_INFRA_ONLY=${STACK_INFRA_ONLY:-0}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java
START_TIMEOUT=${START_TIMEOUT:-60}
SYNCHRONIZER_TIMEOUT=${SYNCHRONIZER_TIMEOUT:-300}
STACK_METRICS=${STACK_METRICS:-0}
METRICS_PORT=${METRICS_PORT:-9090}
PROMETHEUS=${PROMETHEUS:-/usr/bin/prometheus}

LOG_DIR=$STACK_DIR/logs
RUN_DIR=$STACK_DIR/run
BIN_DIR=$STACK_DIR/bin
ENV_FILE=$STACK_DIR/env
PORTS_FILE=$STACK_DIR/ports
MARKER=$STACK_DIR/.open-bank-stack
KAFKA_DIR=$STACK_DIR/kafka
KAFKA_LIBS=$CACHE_DIR/kafka-$KAFKA_VERSION/libs
SR_DIR=$STACK_DIR/schema-registry
SR_CONFIG=$SR_DIR/config.yaml
PG_DIR=$STACK_DIR/postgres
PG_DATA=$PG_DIR/data
PG_SOCKET_DIR=$PG_DIR/socket
PG_LOG=$LOG_DIR/postgresql.log
PROM_DIR=$STACK_DIR/prometheus
PROM_CONFIG=$PROM_DIR/prometheus.yml
PROM_PIDFILE=$PROM_DIR/prometheus.pid
PROM_LOG=$LOG_DIR/prometheus.log
PROM_PATTERN="--config.file=$PROM_CONFIG"

# The registry version is whatever deploy/tools/go.mod pins.
SR_VERSION=$(awk -v m="$SR_MODULE" '$1 == m { print $2; exit }' "$DEPLOY_DIR/tools/go.mod")
[[ -n $SR_VERSION ]] || { echo "stack: $SR_MODULE is not required in deploy/tools/go.mod" >&2; exit 1; }
SR_BIN=$CACHE_DIR/schema-registry-$SR_VERSION

say() { printf 'stack: %s\n' "$*"; }
die() { printf 'stack: error: %s\n' "$*" >&2; exit 1; }

usage() {
  cat <<EOF
usage: $(basename "$0") up [--infra-only] | down [--clean] | clean | status | restart-services
                | kafka-kill N | kafka-start N | kafka-restart N

  up          start PostgreSQL, Kafka, the schema registry, run the synchronizer
              and start the services (only the infrastructure and the
              synchronizer with --infra-only or STACK_INFRA_ONLY=1)
  down        stop everything this stack started, every Kafka node (data is kept)
  down --clean, clean
              stop and remove STACK_DIR ($STACK_DIR)
  status      one line per component and Kafka node; exit code 3 if some
              infrastructure is down
  restart-services
              rebuild and restart the services with the current environment
              (e.g. KAFKA_CLIENT=franz, KAFKA_LINGER_MS=0) on the running stack
  kafka-kill N     kill Kafka node N (1..KAFKA_NODES) with SIGKILL; it stays down
  kafka-start N    start Kafka node N again and wait until it serves
  kafka-restart N  both: a crash and a restart of one node, for fault tests
              Node N's pid is in \$STACK_DIR/run/kafka-N.pid, its log in
              \$STACK_DIR/logs/kafka-N.log.

  STACK_METRICS=1 up also starts Prometheus (Debian's, PROMETHEUS) on
  127.0.0.1:METRICS_PORT, scraping every service as
  deploy/observability/prometheus.yml says, with its data in
  \$STACK_DIR/prometheus; down stops it.

  KAFKA_NODES=3 starts a three-node KRaft cluster from the same jars: node N
  listens on KAFKA_PORT and KAFKA_CONTROLLER_PORT plus (N-1) x KAFKA_PORT_STEP;
  the env file's KAFKA_BROKERS lists every node. The synchronizer then makes
  the topics with replication 3 and min.insync.replicas 2. A stack's node
  count is fixed when its Kafka storage is formatted ('clean' to change it).

environment (current value):
  STACK_DIR ($STACK_DIR)
  KAFKA_PORT ($KAFKA_PORT), KAFKA_CONTROLLER_PORT ($KAFKA_CONTROLLER_PORT),
  KAFKA_NODES ($KAFKA_NODES), KAFKA_PORT_STEP ($KAFKA_PORT_STEP),
  SCHEMA_REGISTRY_PORT ($SCHEMA_REGISTRY_PORT), DB_PORT ($DB_PORT), DB_PASSWORD,
  KAFKA_TLS_PORT (${KAFKA_TLS_PORT:-off}), KAFKA_PROXY_PORT (${KAFKA_PROXY_PORT:-off}),
  STACK_INFRA_ONLY ($STACK_INFRA_ONLY), KAFKA_HEAP_OPTS ($KAFKA_HEAP_OPTS),
  START_TIMEOUT ($START_TIMEOUT s), SYNCHRONIZER_TIMEOUT ($SYNCHRONIZER_TIMEOUT s),
  STACK_METRICS ($STACK_METRICS), METRICS_PORT ($METRICS_PORT), PROMETHEUS ($PROMETHEUS),
  JAVA_HOME, PG_BIN (PostgreSQL server binaries, default: newest /usr/lib/postgresql/*/bin)
cache: $CACHE_DIR
EOF
}

# ---------------------------------------------------------------- helpers

# poll SECONDS CMD...: retry CMD every 0.2 s until it succeeds or time is up.
poll() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# Something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
  # shellcheck disable=SC2016 # $0 belongs to the inner bash.
  timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$0"' "$1" 2>/dev/null
}

# Fail unless PORT is free; VAR names the variable that moves it.
require_free_port() {
  local port=$1 var=$2 what=$3
  if port_open "$port"; then
    die "port $port (for $what) is already in use by a process that is not this stack; stop it or choose another port with $var=..."
  fi
}

# cmdline PID: the process's argv joined by spaces (empty for zombies/gone).
cmdline() {
  { tr '\0' ' ' <"/proc/$1/cmdline"; } 2>/dev/null || true
}

# alive_pid PIDFILE PATTERN: print the pid from PIDFILE if that process still
# exists and its command line contains PATTERN (guards against PID reuse).
alive_pid() {
  local pidfile=$1 pattern=$2 pid
  [[ -r $pidfile ]] || return 1
  pid=$(head -n1 "$pidfile" | tr -dc '0-9')
  [[ -n $pid ]] || return 1
  [[ $(cmdline "$pid") == *"$pattern"* ]] || return 1
  printf '%s\n' "$pid"
}

# start_bg PIDFILE LOGFILE CMD...: run CMD detached in its own session (so a
# Ctrl-C or hang-up in the calling terminal does not reach it); the pid file is
# written by the process itself right before it execs CMD.
start_bg() {
  local pidfile=$1 logfile=$2
  shift 2
  rm -f "$pidfile"
  # shellcheck disable=SC2016 # $$ and $@ belong to the inner sh.
  setsid sh -c 'echo $$ >"$0" && exec "$@"' "$pidfile" "$@" </dev/null >>"$logfile" 2>&1 &
  poll 10 test -s "$pidfile" || die "could not start $1 (see $logfile)"
}

# stop_pid NAME PIDFILE PATTERN GRACE: SIGTERM, wait GRACE s, then SIGKILL.
stop_pid() {
  local name=$1 pidfile=$2 pattern=$3 grace=$4 pid
  if ! pid=$(alive_pid "$pidfile" "$pattern"); then
    rm -f "$pidfile"
    return 0
  fi
  say "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  if ! poll "$grace" pid_gone "$pid" "$pattern"; then
    say "$name did not stop within ${grace}s, killing it"
    kill -KILL "$pid" 2>/dev/null || true
    poll 10 pid_gone "$pid" "$pattern" || die "$name (pid $pid) survived SIGKILL"
  fi
  rm -f "$pidfile"
}

pid_gone() { [[ $(cmdline "$1") != *"$2"* ]]; }

show_log() {
  local log=$1
  [[ -s $log ]] || return 0
  printf -- '--- last lines of %s ---\n' "$log" >&2
  tail -n 25 "$log" >&2
  printf -- '---\n' >&2
}

# need CMD HINT: fail early, saying how to get CMD.
need() {
  command -v "$1" >/dev/null 2>&1 || die "$1 not found; $2"
}

# ------------------------------------------------------------- PostgreSQL

# PostgreSQL refuses to run as root: as root we run it as the 'postgres' OS
# user (created by Debian's package), otherwise as the calling user.
if ((EUID == 0)); then
  PG_OWNER=postgres
  as_pg() { (cd / && runuser -u "$PG_OWNER" -- "$@"); }
else
  PG_OWNER=
  as_pg() { "$@"; }
fi

# Server binaries: those of the version that made the data folder, else the
# newest installed one.
find_pg_bin() {
  if [[ -n ${PG_BIN:-} ]]; then
    return 0
  fi
  local version dir
  if [[ -r $PG_DATA/PG_VERSION ]]; then
    version=$(<"$PG_DATA/PG_VERSION")
    dir=/usr/lib/postgresql/$version/bin
    [[ -x $dir/pg_ctl ]] || die "$PG_DATA was made by PostgreSQL $version, whose server binaries are not installed; install them with: apt-get install -y postgresql-$version (or remove the data with: $0 clean)"
  else
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1 || true)
    [[ -n $dir && -x $dir/pg_ctl && -x $dir/initdb ]] ||
      die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; install them with: apt-get install -y postgresql"
  fi
  PG_BIN=$dir
}

pg_running_pid() {
  alive_pid "$PG_DATA/postmaster.pid" "-D $PG_DATA"
}

# Quote a value for postgresql.conf.
pg_quote() { printf "'%s'" "${1//\'/\'\'}"; }

pg_up() {
  find_pg_bin
  if ((EUID == 0)); then
    id "$PG_OWNER" >/dev/null 2>&1 || die "no '$PG_OWNER' OS user to run PostgreSQL as; it comes with: apt-get install -y postgresql"
  fi
  # The socket path must fit in sockaddr_un (107 bytes).
  ((${#PG_SOCKET_DIR} + 17 < 108)) || die "STACK_DIR is too long for a PostgreSQL socket path ($PG_SOCKET_DIR); choose a shorter STACK_DIR"

  local pid
  if pid=$(pg_running_pid); then
    say "postgresql already running (pid $pid, port $DB_PORT)"
  else
    require_free_port "$DB_PORT" DB_PORT PostgreSQL
    mkdir -p "$PG_DATA" "$PG_SOCKET_DIR"
    touch "$PG_LOG"
    if [[ -n $PG_OWNER ]]; then
      chown "$PG_OWNER": "$PG_DIR" "$PG_DATA" "$PG_SOCKET_DIR" "$PG_LOG"
    fi
    chmod 700 "$PG_DATA" "$PG_SOCKET_DIR"
    as_pg test -w "$PG_DATA" ||
      die "the '${PG_OWNER:-$USER}' user cannot reach $PG_DATA (a parent folder is not searchable for it, e.g. a home folder of mode 700); set STACK_DIR to a folder it can reach"

    if [[ ! -f $PG_DATA/PG_VERSION ]]; then
      say "initialising PostgreSQL data in $PG_DATA"
      # trust on the socket only: the socket folder is private to the server's user.
      as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --no-locale \
        --auth-local=trust --auth-host=scram-sha-256 >>"$LOG_DIR/postgresql-initdb.log" 2>&1 ||
        { show_log "$LOG_DIR/postgresql-initdb.log"; die "initdb failed"; }
      # Our settings live in stack.conf (rewritten on every up).
      printf "\ninclude = 'stack.conf'\n" >>"$PG_DATA/postgresql.conf"
      # Password logins over TCP on loopback only; the superuser has none.
      cat >"$PG_DATA/pg_hba.conf" <<'EOF'
# Written by deploy/stack.sh.
local   all   all                  trust
host    all   all   127.0.0.1/32   scram-sha-256
host    all   all   ::1/128        scram-sha-256
EOF
    fi
    cat >"$PG_DATA/stack.conf" <<EOF
# Written by deploy/stack.sh on every up.
listen_addresses = '127.0.0.1'
port = $DB_PORT
unix_socket_directories = $(pg_quote "$PG_SOCKET_DIR")
unix_socket_permissions = 0700
password_encryption = scram-sha-256
EOF
    if [[ -n $PG_OWNER ]]; then
      chown "$PG_OWNER": "$PG_DATA/stack.conf" "$PG_DATA/pg_hba.conf" "$PG_DATA/postgresql.conf"
    fi

    say "starting postgresql on 127.0.0.1:$DB_PORT"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$START_TIMEOUT" -s start ||
      { show_log "$PG_LOG"; die "PostgreSQL did not start (log: $PG_LOG)"; }
  fi
  pg_setup_roles
}

# Roles and databases, idempotently; passwords are (re)set on every up so a
# changed DB_PASSWORD takes effect.
pg_setup_roles() {
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$DB_PORT" -U postgres -d postgres >/dev/null <<EOF
\\set pw '$DB_PASSWORD'
SELECT format('CREATE ROLE %I LOGIN', r)
  FROM unnest(ARRAY['command_handler', 'graphql_endpoint', 'schemaregistry']) AS r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \\gexec
ALTER ROLE command_handler WITH LOGIN PASSWORD :'pw';
ALTER ROLE graphql_endpoint WITH LOGIN PASSWORD :'pw';
ALTER ROLE schemaregistry WITH LOGIN PASSWORD :'pw';
SELECT format('CREATE DATABASE %I OWNER %I', d, o)
  FROM (VALUES ('balancedb', 'command_handler'),
               ('transactiondb', 'graphql_endpoint'),
               ('schemaregistry', 'schemaregistry')) AS t(d, o)
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = d) \\gexec
-- Each role connects to its own database only (owners keep CONNECT).
REVOKE CONNECT ON DATABASE balancedb, transactiondb, schemaregistry, postgres FROM PUBLIC;
EOF
}

pg_down() {
  local pid
  pid=$(pg_running_pid) || return 0
  find_pg_bin
  say "stopping postgresql (pid $pid)"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 -s stop ||
    die "pg_ctl stop failed (log: $PG_LOG)"
}

# ------------------------------------------------------------------ Kafka

# Node N (1..KAFKA_NODES) listens on KAFKA_PORT and KAFKA_CONTROLLER_PORT plus
# (N-1)*KAFKA_PORT_STEP; its config, data, log and pid file are its own.
kafka_port() { echo $((KAFKA_PORT + ($1 - 1) * KAFKA_PORT_STEP)); }
kafka_controller_port() { echo $((KAFKA_CONTROLLER_PORT + ($1 - 1) * KAFKA_PORT_STEP)); }
kafka_node_dir() { echo "$KAFKA_DIR/node-$1"; }
kafka_props() { echo "$KAFKA_DIR/node-$1/server.properties"; }
kafka_pattern() { echo "kafka.Kafka $(kafka_props "$1")"; }
kafka_pidfile() { echo "$RUN_DIR/kafka-$1.pid"; }
kafka_log() { echo "$LOG_DIR/kafka-$1.log"; }
kafka_node_pid() { alive_pid "$(kafka_pidfile "$1")" "$(kafka_pattern "$1")"; }

# The brokers' addresses, as clients want them.
kafka_brokers() {
  local i list=()
  for ((i = 1; i <= KAFKA_NODES; i++)); do list+=("127.0.0.1:$(kafka_port "$i")"); done
  (IFS=, && echo "${list[*]}")
}

kafka_libs_ready() {
  local stamp=$CACHE_DIR/kafka-$KAFKA_VERSION/.complete
  [[ -d $KAFKA_LIBS && -r $stamp && $(<"$stamp") == "$(sha256sum <"$DEPLOY_DIR/kafka/pom.xml")" ]]
}

# Resolve the broker's jars into the cache; the stamp (hash of the pom) marks
# a complete copy, so an interrupted or outdated one is redone.
resolve_kafka_libs() {
  local dir=$CACHE_DIR/kafka-$KAFKA_VERSION log=$LOG_DIR/kafka-resolve.log
  mkdir -p "$dir"
  exec 8>"$dir/.lock"
  flock 8 # another stack may be resolving the same cache
  kafka_libs_ready && return 0
  say "resolving Kafka $KAFKA_VERSION jars with Maven (first time only)"
  local tmp=$dir/libs.tmp.$$
  rm -rf "$tmp"
  mvn -q -B -Dstyle.color=never -f "$DEPLOY_DIR/kafka/pom.xml" dependency:copy-dependencies \
    -DoutputDirectory="$tmp" -DincludeScope=runtime >"$log" 2>&1 ||
    { show_log "$log"; rm -rf "$tmp"; die "Maven could not resolve the Kafka jars (log: $log)"; }
  [[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar ]] || die "kafka_2.13-$KAFKA_VERSION.jar missing after resolution (log: $log)"
  rm -rf "$KAFKA_LIBS" "$dir/.complete"
  mv -T "$tmp" "$KAFKA_LIBS"
  sha256sum <"$DEPLOY_DIR/kafka/pom.xml" >"$dir/.complete"
}

java_check() {
  [[ $JAVA == java ]] && need java "install it with: apt-get install -y openjdk-17-jre-headless"
  [[ -x $(command -v "$JAVA") ]] || die "$JAVA is not executable (JAVA_HOME=${JAVA_HOME:-})"
  local v
  v=$("$JAVA" -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ { print $2 }')
  [[ ${v%%.*} =~ ^[0-9]+$ && ${v%%.*} -ge 17 ]] ||
    die "Kafka $KAFKA_VERSION needs Java 17 or newer (found ${v:-none}); install it with: apt-get install -y openjdk-17-jre-headless"
}

# kafka_java LOGNAME CLASS ARGS...: the broker's JVM with our logging (into
# LOG_DIR/LOGNAME.log) and class path.
kafka_java() {
  local heap logname=$1
  shift
  read -ra heap <<<"$KAFKA_HEAP_OPTS"
  KAFKA_CMD=("$JAVA" "${heap[@]}" -Djava.awt.headless=true
    -Dlog4j2.configurationFile="$DEPLOY_DIR/kafka/log4j2.properties" -Dkafka.logs.dir="$LOG_DIR"
    -Dkafka.log.name="$logname" -cp "$KAFKA_LIBS/*" "$@")
  [[ ${KAFKA_DRY_RUN:-} == 1 ]] || "${KAFKA_CMD[@]}"
}

# An older stack kept one node's data in kafka/data: it becomes node 1's.
kafka_adopt_old_layout() {
  [[ -f $KAFKA_DIR/data/meta.properties && ! -e $KAFKA_DIR/nodes ]] || return 0
  if alive_pid "$RUN_DIR/kafka.pid" "kafka.Kafka $KAFKA_DIR/server.properties" >/dev/null; then
    die "Kafka runs from an older layout of $KAFKA_DIR; run '$0 down' first, then up again (the data is kept)"
  fi
  ((KAFKA_NODES == 1)) || die "$KAFKA_DIR holds a one-node Kafka; run '$0 clean' (drops the stack's data) before KAFKA_NODES=$KAFKA_NODES"
  mkdir -p "$(kafka_node_dir 1)"
  mv -T "$KAFKA_DIR/data" "$(kafka_node_dir 1)/data"
  rm -f "$KAFKA_DIR/server.properties"
  echo 1 >"$KAFKA_DIR/nodes"
}

# Write every node's config and format the storage the first time. The
# cluster's node count is fixed when it is formatted.
kafka_prepare() {
  kafka_adopt_old_layout
  if [[ -r $KAFKA_DIR/nodes && $(<"$KAFKA_DIR/nodes") != "$KAFKA_NODES" ]]; then
    die "the Kafka data in $KAFKA_DIR is a $(<"$KAFKA_DIR/nodes")-node cluster; use KAFKA_NODES=$(<"$KAFKA_DIR/nodes") or run '$0 clean' (drops the stack's data)"
  fi
  local i voters=() replication=$((KAFKA_NODES < 3 ? KAFKA_NODES : 3)) min_isr
  # min.insync.replicas below the replication, so one node down never stops writes.
  min_isr=$((replication > 1 ? replication - 1 : 1))
  for ((i = 1; i <= KAFKA_NODES; i++)); do voters+=("$i@127.0.0.1:$(kafka_controller_port "$i")"); done
  local quorum
  quorum=$(IFS=, && echo "${voters[*]}")
  # Opt-in listeners for tests (TLS with client certificates, a proxied
  # plaintext one) exist on node 1 of a one-node stack only: with more nodes
  # each would need its own pair of ports.
  if [[ -n $KAFKA_TLS_PORT || -n $KAFKA_PROXY_PORT ]] && ((KAFKA_NODES != 1)); then
    die "KAFKA_TLS_PORT and KAFKA_PROXY_PORT need KAFKA_NODES=1"
  fi
  if [[ -n $KAFKA_TLS_PORT && ! -r $STACK_DIR/certs/kafka-1/keystore.pem ]]; then
    CERTS_DIR=$STACK_DIR/certs "$DEPLOY_DIR/certs/make-certs.sh" >/dev/null
  fi
  local listeners advertised protocols tls_props
  for ((i = 1; i <= KAFKA_NODES; i++)); do
    mkdir -p "$(kafka_node_dir "$i")/data"
    listeners=PLAINTEXT://127.0.0.1:$(kafka_port "$i") advertised=PLAINTEXT://127.0.0.1:$(kafka_port "$i")
    protocols=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT tls_props=
    if [[ -n $KAFKA_TLS_PORT ]]; then
      listeners+=,SSL://127.0.0.1:$KAFKA_TLS_PORT advertised+=,SSL://127.0.0.1:$KAFKA_TLS_PORT protocols+=,SSL:SSL
      tls_props="listener.name.ssl.ssl.client.auth=required
listener.name.ssl.ssl.keystore.type=PEM
listener.name.ssl.ssl.keystore.location=$STACK_DIR/certs/kafka-1/keystore.pem
listener.name.ssl.ssl.truststore.type=PEM
listener.name.ssl.ssl.truststore.location=$STACK_DIR/certs/ca.pem"
    fi
    if [[ -n $KAFKA_PROXY_PORT ]]; then
      listeners+=,PROXIED://127.0.0.1:$((KAFKA_PROXY_PORT + 1)) advertised+=,PROXIED://127.0.0.1:$KAFKA_PROXY_PORT
      protocols+=,PROXIED:PLAINTEXT
    fi
    cat >"$(kafka_props "$i")" <<EOF
# Written by deploy/stack.sh on every up: node $i of $KAFKA_NODES, each a combined broker + controller.
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$quorum
controller.listener.names=CONTROLLER
listeners=$listeners,CONTROLLER://127.0.0.1:$(kafka_controller_port "$i")
advertised.listeners=$advertised
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=$protocols
$tls_props
log.dirs=$(kafka_node_dir "$i")/data
num.partitions=1
default.replication.factor=$replication
min.insync.replicas=$min_isr
offsets.topic.replication.factor=$replication
transaction.state.log.replication.factor=$replication
transaction.state.log.min.isr=$min_isr
share.coordinator.state.topic.replication.factor=$replication
share.coordinator.state.topic.min.isr=$min_isr
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
EOF
  done
  # Format the storage only the first time (meta.properties marks it).
  local id log=$LOG_DIR/kafka-format.log
  [[ -s $KAFKA_DIR/cluster.id ]] || kafka_java kafka-tools kafka.tools.StorageTool random-uuid 2>>"$log" >"$KAFKA_DIR/cluster.id"
  id=$(<"$KAFKA_DIR/cluster.id")
  for ((i = 1; i <= KAFKA_NODES; i++)); do
    [[ -f $(kafka_node_dir "$i")/data/meta.properties ]] && continue
    say "formatting Kafka storage of node $i (cluster id $id)"
    kafka_java kafka-tools kafka.tools.StorageTool format -t "$id" -c "$(kafka_props "$i")" >>"$log" 2>&1 ||
      { show_log "$log"; die "formatting the Kafka storage of node $i failed (log: $log)"; }
  done
  echo "$KAFKA_NODES" >"$KAFKA_DIR/nodes"
}

# kafka_start_node N: start node N unless it runs; KAFKA_LOG_OFFSET[N] marks
# where its readiness line is looked for.
declare -A KAFKA_LOG_OFFSET=()
kafka_start_node() {
  local i=$1 pid log
  log=$(kafka_log "$i")
  if pid=$(kafka_node_pid "$i"); then
    say "kafka node $i already running (pid $pid, port $(kafka_port "$i"))"
    KAFKA_LOG_OFFSET[$i]=
    return 0
  fi
  require_free_port "$(kafka_port "$i")" KAFKA_PORT "Kafka node $i"
  require_free_port "$(kafka_controller_port "$i")" KAFKA_CONTROLLER_PORT "Kafka node $i's controller"
  if ((i == 1)) && [[ -n $KAFKA_TLS_PORT ]]; then
    require_free_port "$KAFKA_TLS_PORT" KAFKA_TLS_PORT "the Kafka TLS listener"
  fi
  if ((i == 1)) && [[ -n $KAFKA_PROXY_PORT ]]; then
    require_free_port "$KAFKA_PROXY_PORT" KAFKA_PROXY_PORT "a test's proxy to Kafka"
    require_free_port "$((KAFKA_PROXY_PORT + 1))" KAFKA_PROXY_PORT "the Kafka listener behind a test's proxy"
  fi
  say "starting kafka node $i on 127.0.0.1:$(kafka_port "$i") (controller $(kafka_controller_port "$i"))"
  touch "$log"
  # Readiness is judged on log lines written after this offset.
  KAFKA_LOG_OFFSET[$i]=$(stat -c %s "$log")
  # start_bg needs a command line, not a function: take kafka_java's.
  KAFKA_DRY_RUN=1 kafka_java "kafka-$i" kafka.Kafka "$(kafka_props "$i")"
  start_bg "$(kafka_pidfile "$i")" "$LOG_DIR/kafka-$i.out" "${KAFKA_CMD[@]}"
}

kafka_start() {
  kafka_prepare
  local i
  for ((i = 1; i <= KAFKA_NODES; i++)); do kafka_start_node "$i"; done
}

kafka_node_ready() {
  local i=$1 log
  log=$(kafka_log "$i")
  kafka_node_pid "$i" >/dev/null || {
    show_log "$LOG_DIR/kafka-$i.out"
    show_log "$log"
    die "Kafka node $i exited during startup (logs: $log, $LOG_DIR/kafka-$i.out)"
  }
  port_open "$(kafka_port "$i")" || return 1
  local offset=${KAFKA_LOG_OFFSET[$i]:-}
  [[ -n $offset ]] || return 0
  # The listener port opens before the broker serves requests. A log that
  # rolled over meanwhile is read from its start.
  (($(stat -c %s "$log") >= offset)) || KAFKA_LOG_OFFSET[$i]=0
  # (No grep -q: with pipefail, tail's SIGPIPE would fail the check.)
  tail -c +"$((KAFKA_LOG_OFFSET[$i] + 1))" "$log" | grep 'Kafka Server started' >/dev/null
}

kafka_wait_node() {
  local i=$1
  poll "$START_TIMEOUT" kafka_node_ready "$i" ||
    { show_log "$(kafka_log "$i")"; die "Kafka node $i did not accept connections on 127.0.0.1:$(kafka_port "$i") within ${START_TIMEOUT}s (log: $(kafka_log "$i"))"; }
  say "kafka node $i ready on 127.0.0.1:$(kafka_port "$i")"
}

kafka_wait() {
  local i
  for ((i = 1; i <= KAFKA_NODES; i++)); do kafka_wait_node "$i"; done
}

# Stop every node at once: one by one, the last ones would wait for a
# controller quorum that is already gone.
kafka_stop_all() {
  local pidfile i pids=()
  for pidfile in "$RUN_DIR"/kafka-*.pid; do
    [[ -e $pidfile ]] || continue
    i=${pidfile##*/kafka-}
    i=${i%.pid}
    [[ $i =~ ^[0-9]+$ ]] || continue
    stop_pid "kafka node $i" "$pidfile" "$(kafka_pattern "$i")" 30 &
    pids+=($!)
  done
  # A stack started before the nodes were numbered.
  stop_pid kafka "$RUN_DIR/kafka.pid" "kafka.Kafka $KAFKA_DIR/server.properties" 30 &
  pids+=($!)
  local pid failed=0
  for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
  ((failed == 0)) || die "a Kafka node could not be stopped"
}

# kafka-kill N / kafka-start N / kafka-restart N: for fault tests on a running
# stack. kill is SIGKILL (no clean shutdown); start waits until N serves again.
kafka_node_arg() {
  if [[ ! ${1:-} =~ ^[0-9]+$ ]] || (($1 < 1 || $1 > KAFKA_NODES)); then
    die "want a Kafka node number from 1 to $KAFKA_NODES, got '${1:-}'"
  fi
  [[ -f $(kafka_props "$1") ]] || die "no Kafka node $1 in $STACK_DIR; start the stack first"
}

cmd_kafka_kill() {
  load_ports
  kafka_node_arg "${1:-}"
  local pid
  pid=$(kafka_node_pid "$1") || { say "kafka node $1 is not running"; return 0; }
  kill -KILL "$pid"
  poll 10 pid_gone "$pid" "$(kafka_pattern "$1")" || die "kafka node $1 (pid $pid) survived SIGKILL"
  rm -f "$(kafka_pidfile "$1")"
  say "killed kafka node $1 (pid $pid) with SIGKILL"
}

cmd_kafka_start() {
  load_ports
  kafka_node_arg "${1:-}"
  java_check
  kafka_start_node "$1"
  kafka_wait_node "$1"
}

cmd_kafka_restart() {
  cmd_kafka_kill "$@"
  cmd_kafka_start "$@"
}

# -------------------------------------------------------- schema registry

SR_PATTERN="-config $SR_CONFIG"

build_registry() {
  local log=$LOG_DIR/schema-registry-build.log
  mkdir -p "$CACHE_DIR"
  exec 9>"$CACHE_DIR/.schema-registry.lock"
  flock 9 # another stack may be building the same binary
  [[ -x $SR_BIN ]] && return 0
  say "building schema registry $SR_VERSION (first time only)"
  # GOWORK=off: deploy/tools is its own module, outside the repo's workspace.
  (cd "$DEPLOY_DIR/tools" && GOWORK=off go build -ldflags "-X main.version=$SR_VERSION" \
    -o "$SR_BIN.tmp.$$" "$SR_MODULE/cmd/schema-registry") >"$log" 2>&1 ||
    { show_log "$log"; rm -f "$SR_BIN.tmp.$$"; die "building the schema registry failed (log: $log)"; }
  mv -f "$SR_BIN.tmp.$$" "$SR_BIN"
}

sr_start() {
  local pid
  if pid=$(alive_pid "$RUN_DIR/schema-registry.pid" "$SR_PATTERN"); then
    say "schema-registry already running (pid $pid, port $SCHEMA_REGISTRY_PORT)"
    return 0
  fi
  require_free_port "$SCHEMA_REGISTRY_PORT" SCHEMA_REGISTRY_PORT "the schema registry"
  mkdir -p "$SR_DIR"
  # The password comes from the environment (SCHEMA_REGISTRY_PG_PASSWORD), not this file.
  cat >"$SR_CONFIG" <<EOF
# Written by deploy/stack.sh on every up.
server:
  host: 127.0.0.1
  port: $SCHEMA_REGISTRY_PORT
storage:
  type: postgresql
  postgresql:
    host: 127.0.0.1
    port: $DB_PORT
    database: schemaregistry
    user: schemaregistry
    ssl_mode: disable
compatibility:
  default_level: BACKWARD
logging:
  level: info
  format: json
security:
  auth:
    enabled: false
    rbac:
      enabled: false
EOF
  say "starting schema-registry on 127.0.0.1:$SCHEMA_REGISTRY_PORT"
  # A clean environment: the registry reads many SCHEMA_REGISTRY_*, VAULT_* and
  # BAO_* variables that must not leak in from the caller.
  start_bg "$RUN_DIR/schema-registry.pid" "$LOG_DIR/schema-registry.log" \
    env -i PATH=/usr/bin:/bin HOME="$SR_DIR" SCHEMA_REGISTRY_PG_PASSWORD="$DB_PASSWORD" \
    "$SR_BIN" -config "$SR_CONFIG"
}

sr_ready() {
  alive_pid "$RUN_DIR/schema-registry.pid" "$SR_PATTERN" >/dev/null || {
    show_log "$LOG_DIR/schema-registry.log"
    die "the schema registry exited during startup (log: $LOG_DIR/schema-registry.log)"
  }
  [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$SCHEMA_REGISTRY_PORT/subjects") == 200 ]]
}

sr_wait() {
  poll "$START_TIMEOUT" sr_ready ||
    { show_log "$LOG_DIR/schema-registry.log"; die "the schema registry did not answer GET /subjects within ${START_TIMEOUT}s (log: $LOG_DIR/schema-registry.log)"; }
  say "schema-registry ready on http://127.0.0.1:$SCHEMA_REGISTRY_PORT"
}

# --------------------------------------------------------------- services

service_pattern() { printf '%s ' "$BIN_DIR/$1"; }

build_go() {
  local name=$1 log=$LOG_DIR/build-$1.log
  # Workspace mode from the repo root (go.work lists the service modules).
  (cd "$REPO_ROOT" && go build -o "$BIN_DIR/$name" "./services/$name") >"$log" 2>&1 ||
    { show_log "$log"; die "building services/$name failed (log: $log)"; }
}

run_synchronizer() {
  # A folder without Go files yet (work in progress) counts as absent.
  if ! compgen -G "$REPO_ROOT/services/synchronizer/*.go" >/dev/null; then
    say "synchronizer skipped (no Go package in services/synchronizer yet)"
    return 0
  fi
  need go "install the Go toolchain (1.26 or newer) and put it on PATH"
  say "building and running the synchronizer"
  build_go synchronizer
  local log=$LOG_DIR/synchronizer.log
  timeout "$SYNCHRONIZER_TIMEOUT" "$BIN_DIR/synchronizer" </dev/null >>"$log" 2>&1 ||
    { show_log "$log"; die "the synchronizer failed (log: $log)"; }
  say "synchronizer: $(tail -n 1 "$log")"
}

# A service that dies within its first two seconds is reported as failed.
service_died_early() { ! alive_pid "$RUN_DIR/$1.pid" "$(service_pattern "$1")" >/dev/null; }

start_services() {
  local name pid started=()
  for name in "${SERVICES[@]}"; do
    [[ -f $REPO_ROOT/services/$name/main.go ]] || continue
    if pid=$(alive_pid "$RUN_DIR/$name.pid" "$(service_pattern "$name")"); then
      say "$name already running (pid $pid)"
      continue
    fi
    need go "install the Go toolchain (1.26 or newer) and put it on PATH"
    say "building $name"
    build_go "$name"
    say "starting $name (log: $LOG_DIR/$name.log)"
    local extra=()
    # The gateway also serves the built frontend (port 8181) when there is one.
    if [[ $name == graphql-endpoint && -f $REPO_ROOT/frontend/dist/index.html ]]; then
      extra=("STATIC_DIR=$REPO_ROOT/frontend/dist")
      say "graphql-endpoint serves the frontend on http://localhost:${STATIC_PORT:-8181}"
    fi
    # Static membership: the handler restarted takes its partitions back at once.
    [[ $name == command-handler ]] && extra+=("KAFKA_GROUP_INSTANCE_ID=${KAFKA_GROUP_INSTANCE_ID:-command-handler-1}")
    # Locally every client (browsers, the load test) is 127.0.0.1: the
    # per-client caps are lifted unless set.
    if [[ $name == graphql-endpoint ]]; then
      extra+=("MAX_CONNECTIONS_PER_CLIENT=${MAX_CONNECTIONS_PER_CLIENT:-0}" "PASSWORD_RATE_PER_MINUTE=${PASSWORD_RATE_PER_MINUTE:-0}")
    fi
    start_bg "$RUN_DIR/$name.pid" "$LOG_DIR/$name.log" env "${extra[@]}" "$BIN_DIR/$name"
    started+=("$name")
  done
  for name in "${started[@]}"; do
    if poll 2 service_died_early "$name"; then
      show_log "$LOG_DIR/$name.log"
      die "$name exited right after starting (log: $LOG_DIR/$name.log)"
    fi
  done
}

# ------------------------------------------------- metrics (STACK_METRICS=1)

# prometheus_config: deploy/observability/prometheus.yml (what docker-compose
# scrapes) for this machine: each job one target on 127.0.0.1 at the port the
# file gives it (the services listen on the same ports here), Prometheus's
# own job at METRICS_PORT; the gateway has no OPS_PORT here, so its metrics
# are on its HTTP port.
prometheus_config() {
  awk -v self="$METRICS_PORT" '
    function target(port) {
      if (job == "prometheus") port = self
      if (job == "graphql-endpoint") port = 8888
      printf "      - targets: [\"127.0.0.1:%s\"]\n", port
    }
    BEGIN { print "# Written by deploy/stack.sh from deploy/observability/prometheus.yml." }
    /^scrape_configs:/ { print; jobs = 1; next }
    /^#/ { next }
    !jobs { print; next }
    /- job_name:/ { job = $NF; print "  - job_name: " job; print "    static_configs:"; next }
    /^ *port: *[0-9]+ *$/ { target($NF); next }
    /targets:/ && match($0, /:[0-9]+"/) { target(substr($0, RSTART + 1, RLENGTH - 2)); next }
    { next }
  ' "$DEPLOY_DIR/observability/prometheus.yml"
}

metrics_pid() { alive_pid "$PROM_PIDFILE" "$PROM_PATTERN"; }

metrics_up() {
  [[ $STACK_METRICS == 1 ]] || return 0
  [[ -x $PROMETHEUS ]] ||
    die "STACK_METRICS=1 needs Prometheus at $PROMETHEUS; install it with: STACK_METRICS=1 deploy/install-prereqs.sh up"
  local pid
  if pid=$(metrics_pid); then
    say "prometheus already running (pid $pid, http://127.0.0.1:$(cat "$PROM_DIR/port"))"
    return 0
  fi
  [[ $METRICS_PORT =~ ^[0-9]+$ && $METRICS_PORT -ge 1 && $METRICS_PORT -le 65535 ]] ||
    die "METRICS_PORT=$METRICS_PORT is not a port number"
  require_free_port "$METRICS_PORT" METRICS_PORT prometheus
  mkdir -p "$PROM_DIR/data"
  prometheus_config >"$PROM_CONFIG"
  echo "$METRICS_PORT" >"$PROM_DIR/port"
  say "starting prometheus on 127.0.0.1:$METRICS_PORT (log: $PROM_LOG)"
  start_bg "$PROM_PIDFILE" "$PROM_LOG" "$PROMETHEUS" "$PROM_PATTERN" \
    --storage.tsdb.path="$PROM_DIR/data" --storage.tsdb.retention.time=2d \
    --web.listen-address="127.0.0.1:$METRICS_PORT"
  poll "$START_TIMEOUT" curl -fsS -o /dev/null "http://127.0.0.1:$METRICS_PORT/-/ready" ||
    { show_log "$PROM_LOG"; die "prometheus did not become ready (log: $PROM_LOG)"; }
  say "prometheus ready on http://127.0.0.1:$METRICS_PORT (scrapes $(grep -c 'job_name:' "$PROM_CONFIG") jobs, config $PROM_CONFIG)"
}

# Stopped whether or not STACK_METRICS is set now.
metrics_down() { stop_pid prometheus "$PROM_PIDFILE" "$PROM_PATTERN" 10; }

metrics_status() {
  local pid
  if pid=$(metrics_pid); then
    status_line prometheus "running (pid $pid, http://127.0.0.1:$(cat "$PROM_DIR/port"))"
  elif [[ $STACK_METRICS == 1 || -e $PROM_PIDFILE ]]; then
    status_line prometheus stopped
  fi
}

# ------------------------------------------------------------ subcommands

infra_running() {
  local pidfile
  pg_running_pid >/dev/null || alive_pid "$RUN_DIR/schema-registry.pid" "$SR_PATTERN" >/dev/null && return 0
  for pidfile in "$RUN_DIR"/kafka*.pid; do
    [[ -e $pidfile ]] || continue
    alive_pid "$pidfile" kafka.Kafka >/dev/null && return 0
  done
  return 1
}

# The ports a running stack was started with win over the environment for
# status/down; up refuses to change them under a running stack.
load_ports() {
  [[ -r $PORTS_FILE ]] || return 0
  local key value
  while IFS='=' read -r key value; do
    case $key in
      KAFKA_PORT | KAFKA_CONTROLLER_PORT | KAFKA_NODES | KAFKA_PORT_STEP | SCHEMA_REGISTRY_PORT | DB_PORT)
        if [[ ${1:-} == check && ${!key} != "$value" ]]; then
          die "the stack in $STACK_DIR is running with $key=$value; run '$0 down' before changing it"
        fi
        printf -v "$key" '%s' "$value"
        ;;
    esac
  done <"$PORTS_FILE"
}

validate_config() {
  local var
  for var in KAFKA_PORT KAFKA_CONTROLLER_PORT SCHEMA_REGISTRY_PORT DB_PORT KAFKA_TLS_PORT KAFKA_PROXY_PORT; do
    [[ -z ${!var} && ($var == KAFKA_TLS_PORT || $var == KAFKA_PROXY_PORT) ]] && continue # opt-in listeners off
    [[ ${!var} =~ ^[0-9]+$ && ${!var} -ge 1 && ${!var} -le 65535 ]] || die "$var=${!var} is not a port number"
  done
  [[ $KAFKA_NODES =~ ^[1-9]$ ]] || die "KAFKA_NODES=$KAFKA_NODES: want a number of Kafka nodes from 1 to 9"
  [[ $KAFKA_PORT_STEP =~ ^[0-9]+$ && $KAFKA_PORT_STEP -ge 2 ]] || die "KAFKA_PORT_STEP=$KAFKA_PORT_STEP: want a number of 2 or more"
  (($(kafka_port "$KAFKA_NODES") <= 65535 && $(kafka_controller_port "$KAFKA_NODES") <= 65535)) ||
    die "KAFKA_NODES=$KAFKA_NODES with KAFKA_PORT_STEP=$KAFKA_PORT_STEP puts a Kafka port above 65535"
  # The registry puts the password unquoted into a libpq connection string.
  [[ -n $DB_PASSWORD && $DB_PASSWORD != *[[:space:]\'\"\\]* ]] ||
    die "DB_PASSWORD must be non-empty and hold no whitespace, quotes or backslashes"
}

write_env() {
  local tmp=$ENV_FILE.tmp
  {
    echo "# Written by deploy/stack.sh up: source it to use the local stack."
    printf 'export KAFKA_BROKERS=%s\n' "$(kafka_brokers)" # host:port list: nothing to quote
    printf 'export SCHEMA_REGISTRY_URL=%q\n' "http://127.0.0.1:$SCHEMA_REGISTRY_PORT"
    printf 'export DB_HOSTNAME=%q\n' "127.0.0.1"
    printf 'export DB_PORT=%q\n' "$DB_PORT"
    printf 'export DB_PASSWORD=%q\n' "$DB_PASSWORD"
    if [[ -n $KAFKA_TLS_PORT ]]; then
      printf 'export KAFKA_TLS_BROKERS=%q\n' "127.0.0.1:$KAFKA_TLS_PORT"
      printf 'export KAFKA_TLS_CA_LOCATION=%q\n' "$STACK_DIR/certs/client/ca.pem"
      printf 'export KAFKA_TLS_CERTIFICATE_LOCATION=%q\n' "$STACK_DIR/certs/client/client.pem"
      printf 'export KAFKA_TLS_KEY_LOCATION=%q\n' "$STACK_DIR/certs/client/client.key"
    fi
    if [[ -n $KAFKA_PROXY_PORT ]]; then
      printf 'export KAFKA_PROXY_BROKERS=%q\n' "127.0.0.1:$KAFKA_PROXY_PORT"
      printf 'export KAFKA_PROXY_TARGET=%q\n' "127.0.0.1:$((KAFKA_PROXY_PORT + 1))"
    fi
  } >"$tmp"
  mv -f "$tmp" "$ENV_FILE"
}

cmd_up() {
  local arg
  for arg in "$@"; do
    case $arg in
      --infra-only) STACK_INFRA_ONLY=1 ;;
      *) usage >&2; exit 2 ;;
    esac
  done
  validate_config
  if infra_running; then load_ports check; fi

  # Fail before doing anything slow when a tool is missing.
  need curl "install it with: apt-get install -y curl"
  need setsid "install it with: apt-get install -y util-linux"
  java_check
  find_pg_bin
  kafka_libs_ready || need mvn "install it with: apt-get install -y maven"
  [[ -x $SR_BIN ]] || need go "install the Go toolchain (1.26 or newer) and put it on PATH"

  mkdir -p "$LOG_DIR" "$RUN_DIR" "$BIN_DIR"
  touch "$MARKER"
  printf '%s=%s\n' KAFKA_PORT "$KAFKA_PORT" KAFKA_CONTROLLER_PORT "$KAFKA_CONTROLLER_PORT" \
    KAFKA_NODES "$KAFKA_NODES" KAFKA_PORT_STEP "$KAFKA_PORT_STEP" \
    SCHEMA_REGISTRY_PORT "$SCHEMA_REGISTRY_PORT" DB_PORT "$DB_PORT" >"$PORTS_FILE"

  # The two slow first-time steps (Maven, go build) run side by side.
  local jobs=() job failed=0
  if ! kafka_libs_ready; then
    resolve_kafka_libs &
    jobs+=($!)
  fi
  if [[ ! -x $SR_BIN ]]; then
    build_registry &
    jobs+=($!)
  fi
  for job in "${jobs[@]}"; do wait "$job" || failed=1; done
  ((failed == 0)) || die "preparing the stack failed (see above)"

  # Kafka boots while PostgreSQL and the registry come up.
  kafka_start
  pg_up
  sr_start
  sr_wait
  kafka_wait
  write_env
  say "environment written to $ENV_FILE"

  # The services get the same environment the env file gives a user.
  # shellcheck source=/dev/null
  source "$ENV_FILE"
  run_synchronizer
  if [[ $STACK_INFRA_ONLY == 1 ]]; then
    say "STACK_INFRA_ONLY=1: services not started"
  else
    start_services
  fi
  metrics_up
  say "up (source $ENV_FILE to use it)"
}

stop_services() {
  local pidfile name
  for pidfile in "$RUN_DIR"/*.pid; do
    [[ -e $pidfile ]] || continue
    name=$(basename "$pidfile" .pid)
    case $name in kafka | kafka-[0-9]* | schema-registry) continue ;; esac
    stop_pid "$name" "$pidfile" "$(service_pattern "$name")" 10
  done
}

# Restart the services (rebuilt) with the current environment, e.g. another
# KAFKA_CLIENT or KAFKA_LINGER_MS, on the running infrastructure.
cmd_restart_services() {
  load_ports
  infra_running || die "the stack is not running; start it with '$0 up'"
  stop_services
  # shellcheck source=/dev/null
  source "$ENV_FILE"
  start_services
}

cmd_down() {
  local clean=0 arg
  for arg in "$@"; do
    case $arg in
      --clean) clean=1 ;;
      *) usage >&2; exit 2 ;;
    esac
  done
  load_ports
  metrics_down
  # Services first (any that this stack started, even if its folder is gone).
  stop_services
  stop_pid schema-registry "$RUN_DIR/schema-registry.pid" "$SR_PATTERN" 10
  kafka_stop_all
  pg_down
  if ((clean)); then
    if [[ -d $STACK_DIR ]]; then
      # Only a folder this script made: never a mistyped STACK_DIR.
      [[ -e $MARKER ]] || die "$STACK_DIR has no $(basename "$MARKER") marker; not removing it"
      rm -rf -- "$STACK_DIR"
      say "removed $STACK_DIR"
    fi
  fi
  say "down"
}

status_line() { printf '%-18s %s\n' "$1" "$2"; }

cmd_status() {
  load_ports
  local pid rc=0 name
  if pid=$(pg_running_pid); then
    status_line postgresql "running (pid $pid, port $DB_PORT)"
  else
    status_line postgresql stopped
    rc=3
  fi
  local i
  if pid=$(alive_pid "$RUN_DIR/kafka.pid" "kafka.Kafka $KAFKA_DIR/server.properties"); then
    status_line kafka "running from an older layout (pid $pid); '$0 down' and up again to number it"
  fi
  for ((i = 1; i <= KAFKA_NODES; i++)); do
    if pid=$(kafka_node_pid "$i"); then
      status_line "kafka-$i" "running (pid $pid, port $(kafka_port "$i"), controller port $(kafka_controller_port "$i"))"
    else
      status_line "kafka-$i" stopped
      rc=3
    fi
  done
  if pid=$(alive_pid "$RUN_DIR/schema-registry.pid" "$SR_PATTERN"); then
    status_line schema-registry "running (pid $pid, port $SCHEMA_REGISTRY_PORT)"
  else
    status_line schema-registry stopped
    rc=3
  fi
  for name in "${SERVICES[@]}"; do
    [[ -f $REPO_ROOT/services/$name/main.go || -e $RUN_DIR/$name.pid ]] || continue
    if pid=$(alive_pid "$RUN_DIR/$name.pid" "$(service_pattern "$name")"); then
      status_line "$name" "running (pid $pid)"
    else
      status_line "$name" stopped
    fi
  done
  metrics_status
  return "$rc"
}

main() {
  local cmd=${1:-}
  (($# == 0)) || shift
  case $cmd in
    up) cmd_up "$@" ;;
    down) cmd_down "$@" ;;
    clean) cmd_down --clean "$@" ;;
    status) cmd_status "$@" ;;
    restart-services) cmd_restart_services "$@" ;;
    kafka-kill) cmd_kafka_kill "$@" ;;
    kafka-start) cmd_kafka_start "$@" ;;
    kafka-restart) cmd_kafka_restart "$@" ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
