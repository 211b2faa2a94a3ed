#!/usr/bin/env bash
# Runs once, when the official postgres image initialises an empty volume: the
# schema registry's database (schemaregistry, owned by its role of that name,
# SCHEMA_REGISTRY_DB_PASSWORD) and the bank's two databases, each owned by a role used only for migrations
# (balancedb_owner, transactiondb_owner) while its service runs as a role that
# may connect to it alone and, granted by the migrations (kit/schema), only
# read and write its tables (docs/security-limits.md). Every role has its own
# password (COMMAND_HANDLER_DB_PASSWORD, GRAPHQL_ENDPOINT_DB_PASSWORD,
# BALANCEDB_OWNER_DB_PASSWORD, TRANSACTIONDB_OWNER_DB_PASSWORD).
set -euo pipefail
psql -X -v ON_ERROR_STOP=1 \
  -v ch_pw="${COMMAND_HANDLER_DB_PASSWORD:?COMMAND_HANDLER_DB_PASSWORD is not set}" \
  -v gw_pw="${GRAPHQL_ENDPOINT_DB_PASSWORD:?GRAPHQL_ENDPOINT_DB_PASSWORD is not set}" \
  -v bo_pw="${BALANCEDB_OWNER_DB_PASSWORD:?BALANCEDB_OWNER_DB_PASSWORD is not set}" \
  -v to_pw="${TRANSACTIONDB_OWNER_DB_PASSWORD:?TRANSACTIONDB_OWNER_DB_PASSWORD is not set}" \
  -v sr_pw="${SCHEMA_REGISTRY_DB_PASSWORD:?SCHEMA_REGISTRY_DB_PASSWORD is not set}" \
  --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE ROLE command_handler LOGIN PASSWORD :'ch_pw';
CREATE ROLE graphql_endpoint LOGIN PASSWORD :'gw_pw';
CREATE ROLE balancedb_owner LOGIN PASSWORD :'bo_pw';
CREATE ROLE transactiondb_owner LOGIN PASSWORD :'to_pw';
CREATE ROLE schemaregistry LOGIN PASSWORD :'sr_pw';
CREATE DATABASE balancedb OWNER balancedb_owner;
CREATE DATABASE transactiondb OWNER transactiondb_owner;
CREATE DATABASE schemaregistry OWNER schemaregistry;
-- Each role connects to its own database only (owners keep CONNECT).
REVOKE CONNECT ON DATABASE balancedb, transactiondb, schemaregistry, postgres FROM PUBLIC;
GRANT CONNECT ON DATABASE balancedb TO command_handler;
GRANT CONNECT ON DATABASE transactiondb TO graphql_endpoint;
SQL
