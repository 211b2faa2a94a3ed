#!/usr/bin/env bash
# Writes the files of the kustomization's secretGenerator beside this script
# (mode 0600, never committed): a random password per database role
# (db-<role>.env: the services' runtime roles and the databases' owners, which
# only the migrations use) and the bank's own secrets (bank-secrets.env: the
# command handler's TOKEN_KEY, the gateway's TOKEN_SEAL_KEY and the bank's own
# account's BANK_TOKEN). Existing files are kept: the database was initialised
# with them, and the tokens are kept under those keys.
set -euo pipefail
cd "$(dirname "$0")"
umask 077
for role in command-handler graphql-endpoint balancedb-owner transactiondb-owner; do
  f=db-$role.env
  if [[ -e $f ]]; then
    echo "make-secrets: $f exists; kept" >&2
    continue
  fi
  printf 'password=%s\n' "$(openssl rand -hex 24)" >"$f"
  echo "make-secrets: wrote $f" >&2
done
f=bank-secrets.env
if [[ -e $f ]]; then
  echo "make-secrets: $f exists; kept" >&2
else
  {
    printf 'token-key=%s\n' "$(openssl rand -hex 32)"
    printf 'token-seal-key=%s\n' "$(openssl rand -hex 32)"
    printf 'bank-token=%s\n' "$(openssl rand -hex 16)"
  } >"$f"
  echo "make-secrets: wrote $f" >&2
fi
