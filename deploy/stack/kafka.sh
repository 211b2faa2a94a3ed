# shellcheck shell=bash
# Part of deploy/stack.sh, sourced by it (it sets the variables): Apache Kafka in KRaft mode, one node or KAFKA_NODES, and the kafka-kill/-start/-restart subcommands.

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
  if security_on && [[ -n $KAFKA_TLS_PORT || -n $KAFKA_PROXY_PORT ]]; then
    die "KAFKA_SECURITY=1 does not go with KAFKA_TLS_PORT or KAFKA_PROXY_PORT"
  fi
  # The storage holds the SCRAM users from its format on: security is fixed then too.
  local security=${KAFKA_SECURITY:-0}
  if [[ -r $KAFKA_DIR/security && $(<"$KAFKA_DIR/security") != "$security" ]] ||
    [[ ! -r $KAFKA_DIR/security && -f $(kafka_node_dir 1)/data/meta.properties && $security == 1 ]]; then
    die "the Kafka data in $KAFKA_DIR was formatted with KAFKA_SECURITY=$(cat "$KAFKA_DIR/security" 2>/dev/null || echo 0); run '$0 clean' (drops the stack's data) to change it"
  fi
  local listeners advertised protocols tls_props kv client=PLAINTEXT
  security_on && client=SASL_PLAINTEXT
  for ((i = 1; i <= KAFKA_NODES; i++)); do
    mkdir -p "$(kafka_node_dir "$i")/data"
    listeners=$client://127.0.0.1:$(kafka_port "$i") advertised=$client://127.0.0.1:$(kafka_port "$i")
    protocols=CONTROLLER:$client,$client:$client tls_props=
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
    security_on && tls_props=$(kafka_security_props) # (no TLS listener then)
    # umask 077: a secured node's settings hold the super user's password.
    (umask 077 && : >"$(kafka_props "$i")")
    cat >"$(kafka_props "$i")" <<EOF
# Written by deploy/stack.sh on every up: node $i of $KAFKA_NODES, each a combined broker + controller.
process.roles=broker,controller
node.id=$i
controller.quorum.voters=$quorum
controller.listener.names=CONTROLLER
listeners=$listeners,CONTROLLER://127.0.0.1:$(kafka_controller_port "$i")
advertised.listeners=$advertised
inter.broker.listener.name=$client
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
    # Later lines win: a setting given here replaces the one above.
    for kv in $KAFKA_SERVER_PROPERTIES; do echo "$kv"; done >>"$(kafka_props "$i")"
  done
  # Format the storage only the first time (meta.properties marks it).
  local id log=$LOG_DIR/kafka-format.log
  [[ -s $KAFKA_DIR/cluster.id ]] || kafka_java kafka-tools kafka.tools.StorageTool random-uuid 2>>"$log" >"$KAFKA_DIR/cluster.id"
  id=$(<"$KAFKA_DIR/cluster.id")
  for ((i = 1; i <= KAFKA_NODES; i++)); do
    [[ -f $(kafka_node_dir "$i")/data/meta.properties ]] && continue
    say "formatting Kafka storage of node $i (cluster id $id)"
    local scram=()
    security_on && mapfile -t scram < <(kafka_scram_args)
    kafka_java kafka-tools kafka.tools.StorageTool format -t "$id" -c "$(kafka_props "$i")" "${scram[@]}" >>"$log" 2>&1 ||
      { show_log "$log"; die "formatting the Kafka storage of node $i failed (log: $log)"; }
  done
  echo "$KAFKA_NODES" >"$KAFKA_DIR/nodes"
  echo "$security" >"$KAFKA_DIR/security"
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
