#!/usr/bin/env bash
# Writes .env beside docker-compose.yml (compose reads it) with a fresh random
# password per database role and per schema registry user (one per service:
# SCHEMA_REGISTRY_<SERVICE>_PASSWORD), the services' keys, the bank's own account's
# token and the heartbeat's control token; an existing .env is kept (its
# passwords are the ones the database volume was initialised with), and what
# it lacks is added to it (owner passwords added to an existing .env do not
# reach a database volume initialised before them: see docs/security-limits.md).
set -euo pipefail
env_file="$(cd "$(dirname "$0")/../.." && pwd)/.env"
umask 077
added=0
for pair in POSTGRES_PASSWORD:24 COMMAND_HANDLER_DB_PASSWORD:24 GRAPHQL_ENDPOINT_DB_PASSWORD:24 \
  BALANCEDB_OWNER_DB_PASSWORD:24 TRANSACTIONDB_OWNER_DB_PASSWORD:24 TOKEN_KEY:32 TOKEN_SEAL_KEY:32 \
  BANK_TOKEN:16 HEARTBEAT_CONTROL_TOKEN:24 SCHEMA_REGISTRY_DB_PASSWORD:24 \
  SCHEMA_REGISTRY_SYNCHRONIZER_PASSWORD:24 SCHEMA_REGISTRY_COMMAND_HANDLER_PASSWORD:24 \
  SCHEMA_REGISTRY_GRAPHQL_ENDPOINT_PASSWORD:24 SCHEMA_REGISTRY_HEARTBEAT_PASSWORD:24 \
  SCHEMA_REGISTRY_COMMAND_GENERATOR_PASSWORD:24; do
  name=${pair%%:*}
  if [[ ! -e $env_file ]] || ! grep -q "^$name=" "$env_file"; then
    printf '%s=%s\n' "$name" "$(openssl rand -hex "${pair#*:}")" >>"$env_file"
    added=$((added + 1))
  fi
done
echo "make-env: $env_file has every setting ($added added; mode 0600)" >&2
