# shellcheck shell=bash
# Part of deploy/stack.sh, sourced by it (it sets the variables): the AxonOps schema registry, built from the version deploy/tools/go.mod pins.

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
  # A clean environment: the registry reads many SCHEMA_REGISTRY_*, VAULT_* and
  # BAO_* variables that must not leak in from the caller. The database
  # password comes from the environment (SCHEMA_REGISTRY_PG_*), not a file.
  local base=(env -i PATH=/usr/bin:/bin HOME="$SR_DIR"
    SCHEMA_REGISTRY_PG_HOST=127.0.0.1 SCHEMA_REGISTRY_PG_PORT="$DB_PORT" SCHEMA_REGISTRY_PG_DATABASE=schemaregistry
    SCHEMA_REGISTRY_PG_USER=schemaregistry SCHEMA_REGISTRY_PG_SSLMODE=disable SCHEMA_REGISTRY_PG_PASSWORD="$DB_PASSWORD")
  say "starting schema-registry on 127.0.0.1:$SCHEMA_REGISTRY_PORT"
  if security_on; then
    # The entry point of compose's and Kubernetes' registry (deploy/registry):
    # a basic auth user per principal, passwords read from their files and
    # hashed, the registrar the only super admin; it writes $SR_CONFIG and
    # execs the registry (-config: the same command line, SR_PATTERN, before
    # and after).
    registry_entrypoint_build
    start_bg "$RUN_DIR/schema-registry.pid" "$LOG_DIR/schema-registry.log" \
      "${base[@]}" SCHEMA_REGISTRY_HOST=127.0.0.1 SCHEMA_REGISTRY_PORT="$SCHEMA_REGISTRY_PORT" \
      REGISTRY_USERS="$(principals | paste -sd,)" REGISTRY_SUPER_ADMIN="$(registrar)" \
      REGISTRY_PASSWORDS_DIR="$SECRETS_DIR" REGISTRY_BIN="$SR_BIN" \
      "$BIN_DIR/registry-entrypoint" -config "$SR_CONFIG"
    return 0
  fi
  cat >"$SR_CONFIG" <<EOF
# Written by deploy/stack.sh on every up.
server:
  host: 127.0.0.1
  port: $SCHEMA_REGISTRY_PORT
storage:
  type: postgresql
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
  start_bg "$RUN_DIR/schema-registry.pid" "$LOG_DIR/schema-registry.log" "${base[@]}" "$SR_BIN" -config "$SR_CONFIG"
}

sr_ready() {
  alive_pid "$RUN_DIR/schema-registry.pid" "$SR_PATTERN" >/dev/null || {
    show_log "$LOG_DIR/schema-registry.log"
    die "the schema registry exited during startup (log: $LOG_DIR/schema-registry.log)"
  }
  [[ $(sr_curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$SCHEMA_REGISTRY_PORT/subjects") == 200 ]]
}

sr_wait() {
  poll "$START_TIMEOUT" sr_ready ||
    { show_log "$LOG_DIR/schema-registry.log"; die "the schema registry did not answer GET /subjects within ${START_TIMEOUT}s (log: $LOG_DIR/schema-registry.log)"; }
  say "schema-registry ready on http://127.0.0.1:$SCHEMA_REGISTRY_PORT"
}
