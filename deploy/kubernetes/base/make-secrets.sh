#!/usr/bin/env bash
# Writes the files of the kustomization's secretGenerator beside this script
# (mode 0600, never committed): a random password per database role
# (db-<role>.env: the services' runtime roles and the databases' owners, which
# only the migrations use; db-schemaregistry.env: the schema registry's), a
# password per schema registry user (registry-users.env: one per service, the
# key its name) and the bank's own secrets (bank-secrets.env: the
# command handler's TOKEN_KEY, the gateway's TOKEN_SEAL_KEY and the bank's own
# account's BANK_TOKEN). Existing files are kept: the database was initialised
# with them, and the tokens are kept under those keys.
set -euo pipefail
cd "$(dirname "$0")"
umask 077
# write_once FILE: FILE from standard input, unless it exists (then kept).
write_once() {
  if [[ -e $1 ]]; then
    echo "make-secrets: $1 exists; kept" >&2
    cat >/dev/null # what was made for it is not needed
    return 0
  fi
  cat >"$1"
  echo "make-secrets: wrote $1" >&2
}
for role in command-handler graphql-endpoint balancedb-owner transactiondb-owner schemaregistry; do
  printf 'password=%s\n' "$(openssl rand -hex 24)" | write_once "db-$role.env"
done
{
  printf 'synchronizer=%s\n' "$(openssl rand -hex 24)"
  printf 'command-handler=%s\n' "$(openssl rand -hex 24)"
  printf 'graphql-endpoint=%s\n' "$(openssl rand -hex 24)"
  printf 'heartbeat=%s\n' "$(openssl rand -hex 24)"
  printf 'command-generator=%s\n' "$(openssl rand -hex 24)"
} | write_once registry-users.env
{
  printf 'token-key=%s\n' "$(openssl rand -hex 32)"
  printf 'token-seal-key=%s\n' "$(openssl rand -hex 32)"
  printf 'bank-token=%s\n' "$(openssl rand -hex 16)"
} | write_once bank-secrets.env
