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
# KAFKA_SECURITY=1 gives every service its own principal: SCRAM-SHA-512 users
# with ACLs on Kafka, basic auth users on the registry (docs/security-limits.md).
# Everything the stack writes lives in STACK_DIR (default <repo>/.local/stack);
# downloaded jars and the registry binary are cached in
# ${XDG_CACHE_HOME:-~/.cache}/open-bank-go.
# This file holds the settings and the subcommands; the components' parts are
# in deploy/stack/*.sh (common, postgres, kafka, registry, services).
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
# The services' ports listen on this machine only, as Kafka, the registry and
# PostgreSQL do; LISTEN_HOST=0.0.0.0 opens them to the network.
LISTEN_HOST=${LISTEN_HOST:-127.0.0.1}
# Opt-in extra listeners for tests: TLS with required client certificates,
# and a plaintext one that advertises KAFKA_PROXY_PORT while it listens on the
# next port, for a test's TCP proxy in between.
KAFKA_TLS_PORT=${KAFKA_TLS_PORT:-}
KAFKA_PROXY_PORT=${KAFKA_PROXY_PORT:-}
# Unset, the database passwords and the services' keys come from
# STACK_DIR/secrets, generated at the first up (write_secrets).
DB_PASSWORD=${DB_PASSWORD:-}
DB_MIGRATE_PASSWORD=${DB_MIGRATE_PASSWORD:-}
# Opt-in: a principal per service on Kafka and the registry (stack/security.sh).
KAFKA_SECURITY=${KAFKA_SECURITY:-0}
STACK_INFRA_ONLY=${STACK_INFRA_ONLY:-0}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
# Extra broker settings to compare, as key=value pairs separated by spaces
# (e.g. "num.io.threads=2 num.network.threads=1"); appended to every node's
# server.properties on up.
KAFKA_SERVER_PROPERTIES=${KAFKA_SERVER_PROPERTIES:-}
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
SECRETS_FILE=$STACK_DIR/secrets
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

  KAFKA_SECURITY=1 makes every service its own principal: Kafka takes
  SCRAM-SHA-512 users only, with the ACLs of openbank/topology ACLs(), and
  the registry basic auth users, where only the synchronizer registers.
  Passwords are made on the first up into \$STACK_DIR/principals; the env file
  gives the brokers' super user (admin) and the synchronizer's registry user.
  Fixed, like the node count, when the Kafka storage is formatted.

environment (current value):
  STACK_DIR ($STACK_DIR)
  KAFKA_PORT ($KAFKA_PORT), KAFKA_CONTROLLER_PORT ($KAFKA_CONTROLLER_PORT),
  KAFKA_NODES ($KAFKA_NODES), KAFKA_PORT_STEP ($KAFKA_PORT_STEP),
  SCHEMA_REGISTRY_PORT ($SCHEMA_REGISTRY_PORT), DB_PORT ($DB_PORT), DB_PASSWORD (the services'
  roles), DB_MIGRATE_PASSWORD (the databases' owners), TOKEN_KEY, TOKEN_SEAL_KEY, BANK_TOKEN
  (unset: generated once into \$STACK_DIR/secrets),
  KAFKA_TLS_PORT (${KAFKA_TLS_PORT:-off}), KAFKA_PROXY_PORT (${KAFKA_PROXY_PORT:-off}),
  KAFKA_SECURITY ($KAFKA_SECURITY),
  STACK_INFRA_ONLY ($STACK_INFRA_ONLY), KAFKA_HEAP_OPTS ($KAFKA_HEAP_OPTS),
  KAFKA_SERVER_PROPERTIES (${KAFKA_SERVER_PROPERTIES:-none}: extra broker settings, key=value ...),
  START_TIMEOUT ($START_TIMEOUT s), SYNCHRONIZER_TIMEOUT ($SYNCHRONIZER_TIMEOUT s),
  STACK_METRICS ($STACK_METRICS), METRICS_PORT ($METRICS_PORT), PROMETHEUS ($PROMETHEUS),
  JAVA_HOME, PG_BIN (PostgreSQL server binaries, default: newest /usr/lib/postgresql/*/bin)
  COMMAND_HANDLER_HTTP_PORT, GRAPHQL_ENDPOINT_HTTP_PORT, HEARTBEAT_HTTP_PORT,
  COMMAND_GENERATOR_HTTP_PORT (unset: 8090, 8888, 17888, 8091), STATIC_PORT (8181):
  the services' ports, to run a second stack next to one on the defaults
  LISTEN_HOST ($LISTEN_HOST): the address the services' ports listen on
  (0.0.0.0: every interface, to reach the bank from another machine)
cache: $CACHE_DIR
EOF
}

# The parts, in the order they build on each other.
# shellcheck source=deploy/stack/common.sh
source "$DEPLOY_DIR/stack/common.sh"
# shellcheck source=deploy/stack/postgres.sh
source "$DEPLOY_DIR/stack/postgres.sh"
# shellcheck source=deploy/stack/security.sh
source "$DEPLOY_DIR/stack/security.sh"
# shellcheck source=deploy/stack/kafka.sh
source "$DEPLOY_DIR/stack/kafka.sh"
# shellcheck source=deploy/stack/registry.sh
source "$DEPLOY_DIR/stack/registry.sh"
# shellcheck source=deploy/stack/services.sh
source "$DEPLOY_DIR/stack/services.sh"
# shellcheck source=deploy/stack/env.sh
source "$DEPLOY_DIR/stack/env.sh"

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
      KAFKA_PORT | KAFKA_CONTROLLER_PORT | KAFKA_NODES | KAFKA_PORT_STEP | SCHEMA_REGISTRY_PORT | DB_PORT | KAFKA_SECURITY)
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
  local kv
  for kv in $KAFKA_SERVER_PROPERTIES; do
    [[ $kv =~ ^[a-z][a-z0-9._-]*=[^=]+$ ]] || die "KAFKA_SERVER_PROPERTIES: '$kv' is not a key=value broker setting"
  done
  [[ $KAFKA_SECURITY == 0 || $KAFKA_SECURITY == 1 ]] || die "KAFKA_SECURITY=$KAFKA_SECURITY: want 0 or 1"
  [[ $KAFKA_NODES =~ ^[1-9]$ ]] || die "KAFKA_NODES=$KAFKA_NODES: want a number of Kafka nodes from 1 to 9"
  [[ $KAFKA_PORT_STEP =~ ^[0-9]+$ && $KAFKA_PORT_STEP -ge 2 ]] || die "KAFKA_PORT_STEP=$KAFKA_PORT_STEP: want a number of 2 or more"
  (($(kafka_port "$KAFKA_NODES") <= 65535 && $(kafka_controller_port "$KAFKA_NODES") <= 65535)) ||
    die "KAFKA_NODES=$KAFKA_NODES with KAFKA_PORT_STEP=$KAFKA_PORT_STEP puts a Kafka port above 65535"
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
  load_secrets

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
    SCHEMA_REGISTRY_PORT "$SCHEMA_REGISTRY_PORT" DB_PORT "$DB_PORT" KAFKA_SECURITY "$KAFKA_SECURITY" >"$PORTS_FILE"
  if security_on; then secrets_prepare; fi

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
  if security_on; then kafka_grant_acls; fi
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
