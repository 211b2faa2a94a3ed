#!/usr/bin/env bash
# Writes a random password per database role for the kustomization's
# secretGenerator (db-command-handler.env, db-graphql-endpoint.env beside this
# script, mode 0600, never committed). Existing files are kept: the database
# was initialised with them.
set -euo pipefail
cd "$(dirname "$0")"
umask 077
for role in command-handler graphql-endpoint; do
  f=db-$role.env
  if [[ -e $f ]]; then
    echo "make-secrets: $f exists; kept" >&2
    continue
  fi
  printf 'password=%s\n' "$(openssl rand -hex 24)" >"$f"
  echo "make-secrets: wrote $f" >&2
done
