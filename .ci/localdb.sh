#!/usr/bin/env bash
# Project-local PostGIS cluster in .pgdata/ (git-ignored), reachable only through a Unix
# socket in .pgdata/run, so several checkouts never fight over a port.
#   localdb.sh start   create the cluster if needed, start it, create roles and databases
#   localdb.sh stop    stop it (no error when it is not running)
#   localdb.sh status
# The cluster keeps fast, unsafe settings (fsync off): it is for the demo and the tests only.
# WANGGE_LOCALDB_DIR=DIR puts another cluster in DIR, and WANGGE_LOCALDB_DURABLE=1 gives it the
# installation's durable settings (deploy/postgresql/durable.conf) instead: the production tests
# run against such a cluster.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pgbin="$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || true)"
[ -n "$pgbin" ] || { echo "PostgreSQL 15 is not installed (/usr/lib/postgresql/15/bin)" >&2; exit 1; }
base="${WANGGE_LOCALDB_DIR:-$root/.pgdata}"
data="$base/data"
run="$base/run"
log="$base/postgres.log"
port=5432  # only names the socket file; service/settings.py expects 5432

# initdb/pg_ctl refuse to run as root: use the postgres account then.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_super() {
  as_owner "$pgbin/psql" -h "$run" -p "$port" -U postgres -d "${PGDB:-postgres}" \
    -v ON_ERROR_STOP=1 -qAt "$@"
}

init_cluster() {
  mkdir -p "$base"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$base"
    # postgres must be able to reach the checkout through its parents.
    for d in "$root" "$(dirname "$base")"; do
      while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d="$(dirname "$d")"; done
    done
  fi
  as_owner mkdir -p "$run"
  as_owner chmod 700 "$run"
  if [ ! -f "$data/PG_VERSION" ]; then
    echo "localdb: creating cluster in $data"
    as_owner "$pgbin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    if [ "${WANGGE_LOCALDB_DURABLE:-0}" = 1 ]; then
      { echo "listen_addresses = ''"; echo "unix_socket_directories = '$run'"; echo "port = $port"
        echo "shared_buffers = 128MB  # a test cluster beside others on a small machine"
        grep -v '^shared_buffers' "$root/deploy/postgresql/durable.conf"
      } | as_owner tee -a "$data/postgresql.conf" >/dev/null
      return
    fi
    cat >>"$data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$run'
port = $port
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 512MB
work_mem = 32MB
maintenance_work_mem = 256MB
max_connections = 200
max_wal_size = 4GB
CONF
  fi
}

is_running() { as_owner "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

start() {
  init_cluster
  if ! is_running; then
    rm -f "$run/.s.PGSQL.$port.lock"
    as_owner "$pgbin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null
    echo "localdb: started (socket $run, port $port)"
  fi
  provision
}

provision() {
  # Owner role runs migrations; the app role only reads and writes rows (no BYPASSRLS).
  psql_super <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge') THEN
    CREATE ROLE wangge LOGIN CREATEDB NOSUPERUSER;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge_app') THEN
    CREATE ROLE wangge_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB;
  END IF;
END $$;
SQL
  if [ "$(psql_super -c "SELECT 1 FROM pg_database WHERE datname='wangge_template'")" != 1 ]; then
    psql_super -c "CREATE DATABASE wangge_template OWNER wangge"
    PGDB=wangge_template psql_super -c "CREATE EXTENSION IF NOT EXISTS postgis"
    psql_super -c "ALTER DATABASE wangge_template IS_TEMPLATE true"
  fi
  for db in wangge_template wangge wangge_test; do
    if [ "$(psql_super -c "SELECT 1 FROM pg_database WHERE datname='$db'")" != 1 ]; then
      psql_super -c "CREATE DATABASE $db OWNER wangge TEMPLATE wangge_template"
    fi
    # Row-level security evaluates a query's own conditions only after the policy unless they
    # are leakproof; PostGIS's bounding-box operator (&&) is not marked so, which turns every
    # bbox/tile query under RLS into a sequential scan. It compares two boxes of geometries
    # that all share SRID 4326 (column typmod), so it cannot reveal hidden rows.
    PGDB=$db psql_super -c "ALTER FUNCTION geometry_overlaps(geometry, geometry) LEAKPROOF"
  done
}

stop() {
  if [ -f "$data/PG_VERSION" ] && is_running; then
    as_owner "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null
    echo "localdb: stopped"
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) if [ -f "$data/PG_VERSION" ] && is_running; then echo running; else echo stopped; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
