#!/usr/bin/env bash
# Runs once, when the official postgres image initialises an empty volume: the
# bank's two databases, each owned by its own role (DESIGN.md), with the
# password from DB_PASSWORD.
set -euo pipefail
psql -X -v ON_ERROR_STOP=1 -v pw="${DB_PASSWORD:?DB_PASSWORD is not set}" \
  --username "$POSTGRES_USER" --dbname postgres <<'SQL'
CREATE ROLE command_handler LOGIN PASSWORD :'pw';
CREATE ROLE graphql_endpoint LOGIN PASSWORD :'pw';
CREATE DATABASE balancedb OWNER command_handler;
CREATE DATABASE transactiondb OWNER graphql_endpoint;
-- Each role connects to its own database only (owners keep CONNECT).
REVOKE CONNECT ON DATABASE balancedb, transactiondb, postgres FROM PUBLIC;
SQL
