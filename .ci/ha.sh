#!/usr/bin/env bash
# A highly available PostgreSQL on this machine with pg_auto_failover (Debian's
# postgresql-15-auto-failover): a monitor and two nodes on local TCP ports, synchronous
# replication between them. Used by `make failover`; docs/deploy.md shows the same on 3 servers.
#   ha.sh start          create (first time) and run monitor, node1 (primary), node2 (standby)
#   ha.sh kill-primary   SIGKILL the primary's keeper and PostgreSQL (a machine lost)
#   ha.sh state          pg_autoctl show state
#   ha.sh stop           stop everything and delete .hadata/
# Ports: monitor $base, node1 $base+1, node2 $base+2 (WANGGE_HA_PORT_BASE, default 56430),
# listening on 127.0.0.1 only, trust authentication (a test rig; see docs/deploy.md for a real one).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pgbin=/usr/lib/postgresql/15/bin
base="${WANGGE_HA_DIR:-$root/.hadata}"
p0="${WANGGE_HA_PORT_BASE:-56430}"
monitor_uri="postgres://autoctl_node@127.0.0.1:$p0/pg_auto_failover?sslmode=disable"

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- env "XDG_CONFIG_HOME=$base/xdg/config" \
    "XDG_DATA_HOME=$base/xdg/data" "XDG_RUNTIME_DIR=$base/xdg/run" PATH="$pgbin:$PATH" "$@"
  else env "XDG_CONFIG_HOME=$base/xdg/config" "XDG_DATA_HOME=$base/xdg/data" \
    "XDG_RUNTIME_DIR=$base/xdg/run" PATH="$pgbin:$PATH" "$@"; fi
}
psql_at() {  # psql_at PORT DB SQL...
  local port=$1 db=$2; shift 2
  as_owner "$pgbin/psql" -h 127.0.0.1 -p "$port" -U postgres -d "$db" -v ON_ERROR_STOP=1 -qAt "$@"
}

run_node() {  # run_node NAME: the keeper in its own process group, so it can be killed whole
  local name=$1
  as_owner setsid pg_autoctl run --pgdata "$base/$name" >>"$base/$name.log" 2>&1 &
}

wait_for() {  # wait_for SECONDS COMMAND...: until COMMAND succeeds
  local limit=$1; shift
  for _ in $(seq 1 $((limit * 2))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "ha: timed out waiting for: $*" >&2; return 1
}

node_state_is() {  # node_state_is NAME STATE: the monitor's view of that node
  [ "$(psql_at "$p0" pg_auto_failover -c "SELECT reportedstate FROM pgautofailover.node WHERE nodename = '$1'")" = "$2" ]
}

create() {
  mkdir -p "$base/xdg/config" "$base/xdg/data" "$base/xdg/run"
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres:postgres "$base"
    d="$base"; while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d="$(dirname "$d")"; done
  fi
  as_owner chmod 700 "$base/xdg/run"
  common=(--hostname 127.0.0.1 --auth trust --no-ssl --pgctl "$pgbin/pg_ctl")
  as_owner pg_autoctl create monitor --pgdata "$base/monitor" --pgport "$p0" "${common[@]}" \
    >"$base/monitor.log" 2>&1
  as_owner pg_autoctl config set --pgdata "$base/monitor" postgresql.listen_addresses 127.0.0.1 >/dev/null
  run_node monitor
  wait_for 60 psql_at "$p0" pg_auto_failover -c "SELECT 1"
  # A lost primary is declared dead after seconds, not the default 20 s (these are the
  # monitor's health checks; docs/deploy.md discusses the trade-off).
  psql_at "$p0" pg_auto_failover <<'SQL'
ALTER SYSTEM SET pgautofailover.health_check_period = 1000;
ALTER SYSTEM SET pgautofailover.health_check_timeout = 1000;
ALTER SYSTEM SET pgautofailover.health_check_max_retries = 1;
ALTER SYSTEM SET pgautofailover.health_check_retry_delay = 500;
ALTER SYSTEM SET pgautofailover.node_considered_unhealthy_timeout = 4000;
-- How long the monitor waits for a lost primary to have demoted itself before the standby may
-- take writes (default 30 s). Safe only because each keeper demotes its primary after
-- timeout.network_partition_timeout (set to 3 s below) without the monitor and the standby.
ALTER SYSTEM SET pgautofailover.primary_demote_timeout = 6000;
SELECT pg_reload_conf() \g /dev/null
SQL
  for i in 1 2; do
    as_owner pg_autoctl create postgres --pgdata "$base/node$i" --pgport $((p0 + i)) \
      --name "node$i" --dbname wangge --monitor "$monitor_uri" --listen 127.0.0.1 "${common[@]}" \
      >>"$base/node$i.log" 2>&1
    tune_node "node$i"
    as_owner pg_autoctl config set --pgdata "$base/node$i" timeout.network_partition_timeout 3 >/dev/null
    run_node "node$i"
    if [ "$i" = 1 ]; then wait_for 120 node_state_is node1 single; fi
  done
  wait_for 180 node_state_is node2 secondary
  wait_for 60 node_state_is node1 primary
  provision
}

tune_node() {  # durable settings (deploy/postgresql/durable.conf), small memory for a test rig
  local conf="$base/$1/postgresql.conf"
  { echo "include_if_exists = '$root/deploy/postgresql/durable.conf'"
    echo "shared_buffers = 128MB"
    } | as_owner tee -a "$conf" >/dev/null
}

provision() {  # roles, PostGIS and the LEAKPROOF mark, on the primary (replicated to node2)
  psql_at $((p0 + 1)) wangge <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge') THEN
    CREATE ROLE wangge LOGIN NOSUPERUSER;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'wangge_app') THEN
    CREATE ROLE wangge_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB;
  END IF;
END $$;
ALTER DATABASE wangge OWNER TO wangge;
ALTER SCHEMA public OWNER TO wangge;
CREATE EXTENSION IF NOT EXISTS postgis;
ALTER FUNCTION geometry_overlaps(geometry, geometry) LEAKPROOF;
SQL
}

start() {
  if [ ! -f "$base/monitor/PG_VERSION" ]; then create; return; fi
  for n in monitor node1 node2; do
    if ! kill -0 "$(keeper_pid "$n" 2>/dev/null || echo 0)" 2>/dev/null; then run_node "$n"; fi
  done
}

keeper_pid() {  # keeper_pid NAME: pg_autoctl's own pid file (its first line)
  head -1 "$base/xdg/run/pg_autoctl$base/$1/pg_autoctl.pid"
}

primary_port() {
  psql_at "$p0" pg_auto_failover -c \
    "SELECT nodeport FROM pgautofailover.node WHERE reportedstate IN ('primary','single','wait_primary') LIMIT 1"
}

kill_primary() {
  local port name
  port="$(primary_port)"
  name="node$((port - p0))"
  # the keeper's process group (its pid, as it runs setsid): the keeper and its PostgreSQL
  kill -KILL -- "-$(keeper_pid "$name")"
  echo "$name"
}

stop() {
  for n in node2 node1 monitor; do
    pid="$(keeper_pid "$n" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || true
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    # a PostgreSQL left by a killed keeper
    if [ -f "$base/$n/postmaster.pid" ]; then
      as_owner "$pgbin/pg_ctl" -D "$base/$n" -m immediate stop >/dev/null 2>&1 || true
    fi
  done
  rm -rf "$base"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  kill-primary) kill_primary ;;
  primary-port) primary_port ;;
  state) as_owner pg_autoctl show state --pgdata "$base/monitor" ;;
  *) echo "usage: $0 start|stop|kill-primary|primary-port|state" >&2; exit 2 ;;
esac
