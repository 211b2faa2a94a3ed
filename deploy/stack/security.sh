# shellcheck shell=bash
# Part of deploy/stack.sh, sourced by it (it sets the variables): KAFKA_SECURITY=1, a principal per service
# (SCRAM-SHA-512 on Kafka with the ACLs of openbank/topology ACLs(), basic auth on the registry where only
# the synchronizer writes, through deploy/registry's entry point as in compose and Kubernetes). Passwords
# are random, made on the first up into STACK_DIR/principals.

# ---------------------------------------------------------------- security

SECRETS_DIR=$STACK_DIR/principals
# The brokers' own principal: the super user, also the operator's (env file).
KAFKA_ADMIN="admin"
SASL_MECHANISM=SCRAM-SHA-512

security_on() { [[ $KAFKA_SECURITY == 1 ]]; }

# The helper that knows the principals and their ACLs (deploy/checks/cmd/stack-security).
SECURITY_BIN=$BIN_DIR/stack-security
security_build() {
  local log=$LOG_DIR/build-stack-security.log
  need go "install the Go toolchain (1.26 or newer) and put it on PATH"
  (cd "$REPO_ROOT" && CGO_ENABLED=0 go build -o "$SECURITY_BIN" ./deploy/checks/cmd/stack-security) >"$log" 2>&1 ||
    { show_log "$log"; die "building deploy/checks/cmd/stack-security failed (log: $log)"; }
}

# principals: the services' users (topology.Principals()), one a line;
# registrar: the one of them that may register schemas.
principals() { "$SECURITY_BIN" principals; }
registrar() { "$SECURITY_BIN" registrar; }

secret() { cat "$SECRETS_DIR/$1.password"; }

# A password per principal and one for the brokers' super user, kept across
# ups (the Kafka storage is formatted with them once).
secrets_prepare() {
  security_build
  (umask 077 && mkdir -p "$SECRETS_DIR")
  local name
  for name in "$KAFKA_ADMIN" $(principals); do
    [[ -s $SECRETS_DIR/$name.password ]] && continue
    (umask 077 && head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' >"$SECRETS_DIR/$name.password")
  done
}

# kafka_scram_args: the storage format's --add-scram for every user (Kafka's
# tool takes them as arguments only: visible to this machine's processes for
# the moment it runs, once, on loopback).
kafka_scram_args() {
  local name
  for name in "$KAFKA_ADMIN" $(principals); do
    printf -- '--add-scram\n%s=[name=%s,password=%s]\n' "$SASL_MECHANISM" "$name" "$(secret "$name")"
  done
}

# kafka_security_props: the broker settings of a secured node. Clients and
# the brokers themselves use SCRAM on the client port; the controllers speak
# SASL/PLAIN among themselves (SCRAM credentials live in the metadata the
# controllers serve), with the super user as the only account: no anonymous
# principal is a super user anywhere.
kafka_security_props() {
  local pw
  pw=$(secret "$KAFKA_ADMIN")
  cat <<EOF
sasl.enabled.mechanisms=$SASL_MECHANISM
sasl.mechanism.inter.broker.protocol=$SASL_MECHANISM
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$KAFKA_ADMIN" password="$pw";
sasl.mechanism.controller.protocol=PLAIN
listener.name.controller.sasl.enabled.mechanisms=PLAIN
listener.name.controller.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="$KAFKA_ADMIN" password="$pw" user_$KAFKA_ADMIN="$pw";
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
super.users=User:$KAFKA_ADMIN
allow.everyone.if.no.acl.found=false
EOF
}

# admin_env / principal_env NAME: the client settings of the super user or
# of one service, as NAME=VALUE words for env.
admin_env() {
  echo "KAFKA_SASL_MECHANISM=$SASL_MECHANISM" "KAFKA_SASL_USERNAME=$KAFKA_ADMIN" "KAFKA_SASL_PASSWORD=$(secret "$KAFKA_ADMIN")"
}
principal_env() {
  security_on || return 0
  local pw
  pw=$(secret "$1")
  echo "KAFKA_SASL_MECHANISM=$SASL_MECHANISM" "KAFKA_SASL_USERNAME=$1" "KAFKA_SASL_PASSWORD=$pw" \
    "SCHEMA_REGISTRY_USERNAME=$1" "SCHEMA_REGISTRY_PASSWORD=$pw"
}

# with_principal NAME CMD...: CMD with NAME's credentials in its environment
# when security is on (not on a command line, which other processes can read).
with_principal() {
  local name=$1 kv
  shift
  (
    for kv in $(principal_env "$name"); do export "${kv?}"; done
    "$@"
  )
}

# kafka_grant_acls: topology.ACLs() on the running cluster, as the super user.
kafka_grant_acls() {
  local log=$LOG_DIR/kafka-acls.log out brokers
  brokers=$(kafka_brokers)
  # shellcheck disable=SC2046 # words on purpose
  out=$(export $(admin_env) KAFKA_BROKERS="$brokers" && "$SECURITY_BIN" acls 2>>"$log") ||
    { show_log "$log"; die "granting the Kafka ACLs failed (log: $log)"; }
  say "kafka: $out"
}

# registry_entrypoint_build: the registry's entry point (deploy/registry), as
# compose's and Kubernetes' image has it.
registry_entrypoint_build() {
  local log=$LOG_DIR/build-registry-entrypoint.log
  (cd "$REPO_ROOT/deploy/registry" && CGO_ENABLED=0 GOWORK=off go build -o "$BIN_DIR/registry-entrypoint" .) >"$log" 2>&1 ||
    { show_log "$log"; die "building deploy/registry failed (log: $log)"; }
}

# sr_curl ARGS...: curl with the registrar's credentials when security is
# on, given on standard input so they are not on a command line.
sr_curl() {
  if security_on; then
    printf 'user = "%s:%s"\n' "$(registrar)" "$(secret "$(registrar)")" | curl -K - "$@"
  else
    curl "$@"
  fi
}
