#!/usr/bin/env bash
# Runs once, when the official postgres image initialises an empty volume: the
# bank's two databases, each owned by its own role (docs/design.md) with its own
# password (COMMAND_HANDLER_DB_PASSWORD, GRAPHQL_ENDPOINT_DB_PASSWORD).
set -euo pipefail
psql -X -v ON_ERROR_STOP=1 \
  -v ch_pw="${COMMAND_HANDLER_DB_PASSWORD:?COMMAND_HANDLER_DB_PASSWORD is not set}" \
  -v gw_pw="${GRAPHQL_ENDPOINT_DB_PASSWORD:?GRAPHQL_ENDPOINT_DB_PASSWORD is not set}" \
  --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE ROLE command_handler LOGIN PASSWORD :'ch_pw';
CREATE ROLE graphql_endpoint LOGIN PASSWORD :'gw_pw';
CREATE DATABASE balancedb OWNER command_handler;
CREATE DATABASE transactiondb OWNER graphql_endpoint;
-- Each role connects to its own database only (owners keep CONNECT).
REVOKE CONNECT ON DATABASE balancedb, transactiondb, postgres FROM PUBLIC;
SQL
