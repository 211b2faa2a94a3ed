#!/usr/bin/env bash
# Writes .env beside docker-compose.yml (compose reads it) with a fresh random
# password per database role and the heartbeat's control token; an existing
# .env is kept (its passwords are the ones the database volume was initialised
# with), and a token is added to it if it has none.
set -euo pipefail
env_file="$(cd "$(dirname "$0")/../.." && pwd)/.env"
if [[ -e $env_file ]]; then
  if ! grep -q '^HEARTBEAT_CONTROL_TOKEN=' "$env_file"; then
    printf 'HEARTBEAT_CONTROL_TOKEN=%s\n' "$(openssl rand -hex 24)" >>"$env_file"
    echo "make-env: added HEARTBEAT_CONTROL_TOKEN to $env_file" >&2
  fi
  echo "make-env: $env_file exists; kept" >&2
  exit 0
fi
umask 077
{
  printf 'POSTGRES_PASSWORD=%s\n' "$(openssl rand -hex 24)"
  printf 'COMMAND_HANDLER_DB_PASSWORD=%s\n' "$(openssl rand -hex 24)"
  printf 'GRAPHQL_ENDPOINT_DB_PASSWORD=%s\n' "$(openssl rand -hex 24)"
  printf 'HEARTBEAT_CONTROL_TOKEN=%s\n' "$(openssl rand -hex 24)"
} >"$env_file"
echo "make-env: wrote $env_file (mode 0600)" >&2
