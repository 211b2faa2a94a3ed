# shellcheck shell=bash
# Part of deploy/stack.sh, sourced by it (it sets the variables): the synchronizer, the long-running services and, with STACK_METRICS=1, Prometheus.

# --------------------------------------------------------------- services

service_pattern() { printf '%s ' "$BIN_DIR/$1"; }

# service_port_var NAME: the variable that moves one service's HTTP_PORT,
# e.g. GRAPHQL_ENDPOINT_HTTP_PORT; unset, the service keeps its default.
service_port_var() {
  local var=${1^^}
  echo "${var//-/_}_HTTP_PORT"
}

build_go() {
  local name=$1 log=$LOG_DIR/build-$1.log cgo=0
  # cgo, and so librdkafka, only for KAFKA_CLIENT=librdkafka: a franz-go
  # service then neither links nor maps the C library.
  [[ ${KAFKA_CLIENT:-} == librdkafka ]] && cgo=1
  # Workspace mode from the repo root (go.work lists the service modules).
  (cd "$REPO_ROOT" && CGO_ENABLED=$cgo go build -o "$BIN_DIR/$name" "./services/$name") >"$log" 2>&1 ||
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
  with_principal synchronizer timeout "$SYNCHRONIZER_TIMEOUT" "$BIN_DIR/synchronizer" </dev/null >>"$log" 2>&1 ||
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
    local extra=("LISTEN_HOST=$LISTEN_HOST")
    # The gateway also serves the built frontend (port 8181) when there is one.
    if [[ $name == graphql-endpoint && -f $REPO_ROOT/frontend/dist/index.html ]]; then
      extra+=("STATIC_DIR=$REPO_ROOT/frontend/dist")
      say "graphql-endpoint serves the frontend on http://localhost:${STATIC_PORT:-8181}"
    fi
    # Static membership: the handler restarted takes its partitions back at once.
    [[ $name == command-handler ]] && extra+=("KAFKA_GROUP_INSTANCE_ID=${KAFKA_GROUP_INSTANCE_ID:-command-handler-1}")
    # Every limit keeps the service's own default (docs/security-limits.md);
    # the environment passes through, so a load test raises only the ones it
    # needs, e.g. PASSWORD_RATE_PER_MINUTE=0 deploy/stack.sh restart-services.
    local port_var
    port_var=$(service_port_var "$name")
    [[ -z ${!port_var:-} ]] || extra+=("HTTP_PORT=${!port_var}")
    with_principal "$name" start_bg "$RUN_DIR/$name.pid" "$LOG_DIR/$name.log" env "${extra[@]}" "$BIN_DIR/$name"
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
# are on its HTTP port. A service moved with <NAME>_HTTP_PORT is scraped there.
prometheus_config() {
  local name port_var moved=
  for name in "${SERVICES[@]}"; do
    port_var=$(service_port_var "$name")
    [[ -z ${!port_var:-} ]] || moved+="$name=${!port_var} "
  done
  awk -v self="$METRICS_PORT" -v moved="$moved" '
    function target(port) {
      if (job == "prometheus") port = self
      if (job == "graphql-endpoint") port = 8888
      if (job in ports) port = ports[job]
      printf "      - targets: [\"127.0.0.1:%s\"]\n", port
    }
    BEGIN {
      print "# Written by deploy/stack.sh from deploy/observability/prometheus.yml."
      n = split(moved, pairs, " ")
      for (i = 1; i <= n; i++) { split(pairs[i], kv, "="); ports[kv[1]] = kv[2] }
    }
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
