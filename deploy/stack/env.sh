# shellcheck shell=bash
# Part of deploy/stack.sh, sourced by it (it sets the variables): the stack's own secrets, made once, and the env file that hands them and the addresses to tools and tests.

# rand_hex N: N random bytes in hex.
rand_hex() { od -An -vtx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# Secrets the stack makes itself, once, into SECRETS_FILE (mode 0600): the
# database roles' passwords, the services' keys and the bank's own token;
# a variable set in the environment wins over the file.
load_secrets() {
  if [[ ! -s $SECRETS_FILE ]]; then
    mkdir -p "$STACK_DIR"
    (
      umask 077
      {
        echo "# Written by deploy/stack.sh at the first up; the stack's own secrets."
        printf 'DB_PASSWORD=%s\n' "$(rand_hex 24)"
        printf 'DB_MIGRATE_PASSWORD=%s\n' "$(rand_hex 24)"
        printf 'TOKEN_KEY=%s\n' "$(rand_hex 32)"
        printf 'TOKEN_SEAL_KEY=%s\n' "$(rand_hex 32)"
        printf 'BANK_TOKEN=%s\n' "$(rand_hex 16)"
      } >"$SECRETS_FILE.tmp"
      mv -f "$SECRETS_FILE.tmp" "$SECRETS_FILE"
    )
  fi
  local key value
  while IFS='=' read -r key value; do
    case $key in
      DB_PASSWORD | DB_MIGRATE_PASSWORD | TOKEN_KEY | TOKEN_SEAL_KEY | BANK_TOKEN)
        [[ -n ${!key:-} ]] || printf -v "$key" '%s' "$value"
        ;;
    esac
  done <"$SECRETS_FILE"
  # The registry puts the password unquoted into a libpq connection string.
  local var
  for var in DB_PASSWORD DB_MIGRATE_PASSWORD; do
    [[ -n ${!var} && ${!var} != *[[:space:]\'\"\\]* ]] ||
      die "$var must be non-empty and hold no whitespace, quotes or backslashes"
  done
}

write_env() {
  local tmp=$ENV_FILE.tmp
  (umask 077 && : >"$tmp") # with security on it holds passwords
  {
    echo "# Written by deploy/stack.sh up: source it to use the local stack."
    printf 'export KAFKA_BROKERS=%s\n' "$(kafka_brokers)" # host:port list: nothing to quote
    printf 'export SCHEMA_REGISTRY_URL=%q\n' "http://127.0.0.1:$SCHEMA_REGISTRY_PORT"
    printf 'export DB_HOSTNAME=%q\n' "127.0.0.1"
    printf 'export DB_PORT=%q\n' "$DB_PORT"
    # What the tests and the load test start listens where the stack's services do.
    printf 'export LISTEN_HOST=%q\n' "$LISTEN_HOST"
    printf 'export DB_PASSWORD=%q\n' "$DB_PASSWORD"
    printf 'export DB_MIGRATE_PASSWORD=%q\n' "$DB_MIGRATE_PASSWORD"
    printf 'export TOKEN_KEY=%q\n' "$TOKEN_KEY"
    printf 'export TOKEN_SEAL_KEY=%q\n' "$TOKEN_SEAL_KEY"
    printf 'export BANK_TOKEN=%q\n' "$BANK_TOKEN"
    if [[ -n $KAFKA_TLS_PORT ]]; then
      printf 'export KAFKA_TLS_BROKERS=%q\n' "127.0.0.1:$KAFKA_TLS_PORT"
      printf 'export KAFKA_TLS_CA_LOCATION=%q\n' "$STACK_DIR/certs/synchronizer/ca.pem"
      printf 'export KAFKA_TLS_CERTIFICATE_LOCATION=%q\n' "$STACK_DIR/certs/synchronizer/client.pem"
      printf 'export KAFKA_TLS_KEY_LOCATION=%q\n' "$STACK_DIR/certs/synchronizer/client.key"
    fi
    if [[ -n $KAFKA_PROXY_PORT ]]; then
      printf 'export KAFKA_PROXY_BROKERS=%q\n' "127.0.0.1:$KAFKA_PROXY_PORT"
      printf 'export KAFKA_PROXY_TARGET=%q\n' "127.0.0.1:$((KAFKA_PROXY_PORT + 1))"
    fi
    if security_on; then
      printf 'export KAFKA_SECURITY=1\n'
      printf 'export STACK_SECRETS_DIR=%q\n' "$SECRETS_DIR"
      local kv
      for kv in $(admin_env) "SCHEMA_REGISTRY_USERNAME=$(registrar)" "SCHEMA_REGISTRY_PASSWORD=$(secret "$(registrar)")"; do
        printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
      done
    fi
  } >"$tmp"
  chmod 600 "$tmp"
  mv -f "$tmp" "$ENV_FILE"
}
