#!/usr/bin/env bash
# How PostgreSQL's insert rate depends on the command ids' kind once history has
# grown: the bank's `command` and `transactions` tables, empty ("small") and with
# COMMANDS random-id commands and twice as many transactions ("big"), then
# batches like the command handler's (20 commands and 40 transactions per
# commit) with random (version 4) or time-ordered (version 7) ids, A, B, A, B.
# It runs a throwaway PostgreSQL cluster of its own (Debian's server binaries)
# on a Unix socket in a temporary folder and removes it when done.
set -euo pipefail

COMMANDS=${COMMANDS:-3500000}
PG_BIN=${PG_BIN:-$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d | sort -V | tail -n1)}
[[ -x $PG_BIN/pgbench ]] || { echo "no pgbench under PG_BIN=$PG_BIN; apt-get install -y postgresql" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=$(mktemp -d)
PORT=55432
if ((EUID == 0)); then
  chown postgres: "$DIR"
  as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
  as_pg() { "$@"; }
fi
stop() {
  as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -m fast -s stop 2>/dev/null || true
  rm -rf "$DIR"
}
trap stop EXIT

as_pg "$PG_BIN/initdb" -D "$DIR/data" -U postgres --no-locale -E UTF8 >/dev/null 2>&1
printf "listen_addresses = ''\nport = %d\nunix_socket_directories = '%s'\n" "$PORT" "$DIR" >>"$DIR/data/postgresql.conf"
as_pg "$PG_BIN/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -s start
psql() { as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR" -p "$PORT" -U postgres "$@"; }
bench() { as_pg "$PG_BIN/pgbench" -h "$DIR" -p "$PORT" -U postgres -n "$@" postgres 2>&1; }

psql -f "$HERE/schema.sql" >/dev/null
echo "loading $COMMANDS commands and $((2 * COMMANDS)) transactions into big (random ids) ..."
psql -v n="$COMMANDS" -f "$HERE/history.sql"
for s in big small; do
  for id in gen_random_uuid uuid7; do
    sed "s/:s\\./$s./g; s/:id()/$id()/g" "$HERE/batch.sql" >"$DIR/$s-$id.sql"
  done
done

echo "start: $(uptime)"
for round in 1 2; do
  for s in big small; do
    for id in gen_random_uuid uuid7; do
      echo "round $round, $s, $id, 12 batches/s: $(bench -c 1 -R 12 -T 45 -f "$DIR/$s-$id.sql" | grep -E 'latency (average|stddev)' | tr '\n' ' ')"
    done
  done
done
for round in 1 2; do
  for s in big small; do
    for id in gen_random_uuid uuid7; do
      echo "round $round, as fast as it goes, 2 clients, $s, $id: $(bench -c 2 -T 30 -f "$DIR/$s-$id.sql" | grep -E 'latency average|tps' | tr '\n' ' ')"
    done
  done
done
echo "end: $(uptime)"
