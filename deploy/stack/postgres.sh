# shellcheck shell=bash
# Part of deploy/stack.sh, sourced by it (it sets the variables): PostgreSQL, from Debian's server binaries with a data folder of its own.

# ------------------------------------------------------------- PostgreSQL

# PostgreSQL refuses to run as root: as root we run it as the 'postgres' OS
# user (created by Debian's package), otherwise as the calling user.
if ((EUID == 0)); then
  PG_OWNER=postgres
  as_pg() { (cd / && runuser -u "$PG_OWNER" -- "$@"); }
else
  PG_OWNER=
  as_pg() { "$@"; }
fi

# Server binaries: those of the version that made the data folder, else the
# newest installed one.
find_pg_bin() {
  if [[ -n ${PG_BIN:-} ]]; then
    return 0
  fi
  local version dir
  if [[ -r $PG_DATA/PG_VERSION ]]; then
    version=$(<"$PG_DATA/PG_VERSION")
    dir=/usr/lib/postgresql/$version/bin
    [[ -x $dir/pg_ctl ]] || die "$PG_DATA was made by PostgreSQL $version, whose server binaries are not installed; install them with: apt-get install -y postgresql-$version (or remove the data with: $0 clean)"
  else
    dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n1 || true)
    [[ -n $dir && -x $dir/pg_ctl && -x $dir/initdb ]] ||
      die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin; install them with: apt-get install -y postgresql"
  fi
  PG_BIN=$dir
}

pg_running_pid() {
  alive_pid "$PG_DATA/postmaster.pid" "-D $PG_DATA"
}

# Quote a value for postgresql.conf.
pg_quote() { printf "'%s'" "${1//\'/\'\'}"; }

pg_up() {
  find_pg_bin
  if ((EUID == 0)); then
    id "$PG_OWNER" >/dev/null 2>&1 || die "no '$PG_OWNER' OS user to run PostgreSQL as; it comes with: apt-get install -y postgresql"
  fi
  # The socket path must fit in sockaddr_un (107 bytes).
  ((${#PG_SOCKET_DIR} + 17 < 108)) || die "STACK_DIR is too long for a PostgreSQL socket path ($PG_SOCKET_DIR); choose a shorter STACK_DIR"

  local pid
  if pid=$(pg_running_pid); then
    say "postgresql already running (pid $pid, port $DB_PORT)"
  else
    require_free_port "$DB_PORT" DB_PORT PostgreSQL
    mkdir -p "$PG_DATA" "$PG_SOCKET_DIR"
    touch "$PG_LOG"
    if [[ -n $PG_OWNER ]]; then
      chown "$PG_OWNER": "$PG_DIR" "$PG_DATA" "$PG_SOCKET_DIR" "$PG_LOG"
    fi
    chmod 700 "$PG_DATA" "$PG_SOCKET_DIR"
    as_pg test -w "$PG_DATA" ||
      die "the '${PG_OWNER:-$USER}' user cannot reach $PG_DATA (a parent folder is not searchable for it, e.g. a home folder of mode 700); set STACK_DIR to a folder it can reach"

    if [[ ! -f $PG_DATA/PG_VERSION ]]; then
      say "initialising PostgreSQL data in $PG_DATA"
      # trust on the socket only: the socket folder is private to the server's user.
      as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres -E UTF8 --no-locale \
        --auth-local=trust --auth-host=scram-sha-256 >>"$LOG_DIR/postgresql-initdb.log" 2>&1 ||
        { show_log "$LOG_DIR/postgresql-initdb.log"; die "initdb failed"; }
      # Our settings live in stack.conf (rewritten on every up).
      printf "\ninclude = 'stack.conf'\n" >>"$PG_DATA/postgresql.conf"
      # Password logins over TCP on loopback only; the superuser has none.
      cat >"$PG_DATA/pg_hba.conf" <<'EOF'
# Written by deploy/stack.sh.
local   all   all                  trust
host    all   all   127.0.0.1/32   scram-sha-256
host    all   all   ::1/128        scram-sha-256
EOF
    fi
    cat >"$PG_DATA/stack.conf" <<EOF
# Written by deploy/stack.sh on every up.
listen_addresses = '127.0.0.1'
port = $DB_PORT
unix_socket_directories = $(pg_quote "$PG_SOCKET_DIR")
unix_socket_permissions = 0700
password_encryption = scram-sha-256
# Sized for the 2-core machine the stack runs on, its services beside it
# (docs/deploy.md#postgresql-settings):
# the indexes hot on every batch (balance, command's newest days,
# transactions by iban) stay in the server's cache instead of 128MB of it.
shared_buffers = 512MB
# what the OS caches besides; only the planner reads it.
effective_cache_size = 2GB
# index builds (migrations) and vacuums of the big append-only tables.
maintenance_work_mem = 128MB
# local SSD: an index probe costs about a sequential read.
random_page_cost = 1.1
# the bank's queries are short; compiling one costs more than it saves.
jit = off
# Append-mostly: checkpoints far apart (less full-page WAL), spread out.
max_wal_size = 2GB
min_wal_size = 256MB
checkpoint_timeout = 15min
# Append-only tables (command, transactions) vacuumed every 1% of inserts,
# not 20%: visibility maps stay set (index-only scans) and freezing small.
autovacuum_vacuum_insert_scale_factor = 0.01
# Statistics follow the newest rows (the days and ibans queried most).
autovacuum_analyze_scale_factor = 0.02
# Let autovacuum keep up with a steady insert load (default 200).
autovacuum_vacuum_cost_limit = 1000
EOF
    if [[ -n $PG_OWNER ]]; then
      chown "$PG_OWNER": "$PG_DATA/stack.conf" "$PG_DATA/pg_hba.conf" "$PG_DATA/postgresql.conf"
    fi

    say "starting postgresql on 127.0.0.1:$DB_PORT"
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t "$START_TIMEOUT" -s start ||
      { show_log "$PG_LOG"; die "PostgreSQL did not start (log: $PG_LOG)"; }
  fi
  pg_setup_roles
}

# Roles and databases, idempotently (docs/security-limits.md#tokens-and-database-roles):
# each database is owned by a role used only for migrations (DB_MIGRATE_USER,
# password DB_MIGRATE_PASSWORD), and its service runs as a role that may only
# connect to it and, granted by the migrations' step (kit/schema), read and
# write its tables. Passwords are (re)set on every up so a changed one takes
# effect. A database made when its service's role owned it is handed to the
# owner role.
pg_setup_roles() {
  as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$PG_SOCKET_DIR" -p "$DB_PORT" -U postgres -d postgres >/dev/null <<EOF
\\set pw '$DB_PASSWORD'
\\set mpw '$DB_MIGRATE_PASSWORD'
SELECT format('CREATE ROLE %I LOGIN', r)
  FROM unnest(ARRAY['command_handler', 'graphql_endpoint', 'balancedb_owner', 'transactiondb_owner', 'schemaregistry']) AS r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \\gexec
ALTER ROLE command_handler WITH LOGIN PASSWORD :'pw';
ALTER ROLE graphql_endpoint WITH LOGIN PASSWORD :'pw';
ALTER ROLE schemaregistry WITH LOGIN PASSWORD :'pw';
ALTER ROLE balancedb_owner WITH LOGIN PASSWORD :'mpw';
ALTER ROLE transactiondb_owner WITH LOGIN PASSWORD :'mpw';
SELECT format('CREATE DATABASE %I OWNER %I', d, o)
  FROM (VALUES ('balancedb', 'balancedb_owner'),
               ('transactiondb', 'transactiondb_owner'),
               ('schemaregistry', 'schemaregistry')) AS t(d, o)
 WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = d) \\gexec
\\c balancedb
REASSIGN OWNED BY command_handler TO balancedb_owner;
\\c transactiondb
REASSIGN OWNED BY graphql_endpoint TO transactiondb_owner;
-- Each role connects to its own database only (owners keep CONNECT).
REVOKE CONNECT ON DATABASE balancedb, transactiondb, schemaregistry, postgres FROM PUBLIC;
GRANT CONNECT ON DATABASE balancedb TO command_handler;
GRANT CONNECT ON DATABASE transactiondb TO graphql_endpoint;
EOF
}

pg_down() {
  local pid
  pid=$(pg_running_pid) || return 0
  find_pg_bin
  say "stopping postgresql (pid $pid)"
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 -s stop ||
    die "pg_ctl stop failed (log: $PG_LOG)"
}
