#!/usr/bin/env bash
# A highly available PostgreSQL on this machine with pg_auto_failover (Debian's
# postgresql-15-auto-failover): a monitor and two nodes on local TCP ports, synchronous
# replication between them. Used by `make failover`; docs/deploy.md shows the same on 3 servers.
#   ha.sh start          create (first time) and run monitor, node1 (primary), node2 (standby)
#   ha.sh kill-primary   SIGKILL the primary's keeper and PostgreSQL (a machine lost)
#   ha.sh ports          the two nodes' ports, "P1,P2" (for a multi-host URL)
#   ha.sh state          pg_autoctl show state
#   ha.sh stop           stop everything (also what a failed start left) and delete .hadata/;
#                        the logs are kept in tests/artifacts/ha-logs/
# Works as root (runs the clusters as postgres) and as an ordinary user, without stdin.
#
# Ports: monitor P, node1 P+1, node2 P+2, with P chosen per checkout: from a hash of the
# checkout's path in 20000-28999 (below the kernel's ephemeral ports, 32768-60999, which
# outgoing connections and the tests' "free port" servers take), the first triple that is free
# on every address. WANGGE_HA_PORT_BASE=P forces one. Written to .hadata/port_base.
# Unix sockets: .hadata/run (or a short directory under /tmp if that path is too long), never
# the shared /var/run/postgresql. TCP on 127.0.0.1 only (the monitor listens on every address
# for the few seconds of its creation, pg_hba accepting loopback only), trust authentication:
# a test rig, see docs/deploy.md for a real one.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pgbin=/usr/lib/postgresql/15/bin
base="${WANGGE_HA_DIR:-$root/.hadata}"
keep_logs="$root/tests/artifacts/ha-logs"
p0=""
sock=""

load() {  # the port base and socket directory chosen at creation
  p0="$(cat "$base/port_base" 2>/dev/null || true)"
  sock="$(cat "$base/sockdir" 2>/dev/null || true)"
}
load

as_owner() {  # run as the clusters' owner, with only our own PG* settings
  local envs=(env -u PGPORT -u PGDATABASE -u PGUSER -u PGPASSWORD -u PGPASSFILE -u PGSERVICE
    -u PGSERVICEFILE -u PGOPTIONS -u PGSSLMODE -u PGTARGETSESSIONATTRS -u PGDATA -u PGHOSTADDR
    -u PGCONNECT_TIMEOUT "XDG_CONFIG_HOME=$base/xdg/config" "XDG_DATA_HOME=$base/xdg/data"
    "XDG_RUNTIME_DIR=$base/xdg/run" "PATH=$pgbin:$PATH")
  # PG_REGRESS_SOCK_DIR: pg_autoctl starts PostgreSQL with -k DIR (sockets there, not in
  # /var/run/postgresql); PGHOST: pg_autoctl and psql reach the local servers there
  [ -z "$sock" ] || envs+=("PG_REGRESS_SOCK_DIR=$sock" "PGHOST=$sock")
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "${envs[@]}" "$@"; else "${envs[@]}" "$@"; fi
}
# the clusters' superuser: initdb names it after the account that runs it
if [ "$(id -u)" = 0 ]; then superuser=postgres; else superuser="$(id -un)"; fi
psql_at() {  # psql_at PORT DB SQL...
  local port=$1 db=$2; shift 2
  as_owner "$pgbin/psql" -X -h 127.0.0.1 -p "$port" -U "$superuser" -d "$db" -v ON_ERROR_STOP=1 -qAt "$@"
}

run_node() {  # run_node NAME: the keeper in its own process group, so it can be killed whole
  local name=$1
  as_owner setsid pg_autoctl run --pgdata "$base/$name" >>"$base/$name.log" 2>&1 </dev/null &
}

wait_for() {  # wait_for SECONDS COMMAND...: until COMMAND succeeds
  local limit=$1; shift
  local until=$((SECONDS + limit))
  while [ "$SECONDS" -lt "$until" ]; do "$@" >/dev/null 2>&1 && return 0; sleep 0.5; done
  echo "ha: timed out after ${limit}s waiting for: $*" >&2
  { "$@" 2>&1 >/dev/null | tail -n 3 | sed 's/^/ha:   last error: /' >&2; } || true
  return 1
}

node_state_is() {  # node_state_is NAME STATE: the monitor's view of that node
  [ "$(psql_at "$p0" pg_auto_failover -c "SELECT reportedstate FROM pgautofailover.node WHERE nodename = '$1'")" = "$2" ]
}

ports_free() {  # ports_free P...: nothing bound to them, on any address (IPv4 and IPv6)
  python3 - "$@" <<'PY'
import socket, sys
for port in map(int, sys.argv[1:]):
    for family, host in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
        try:
            s = socket.socket(family, socket.SOCK_STREAM)
        except OSError:
            continue  # no IPv6 here
        try:
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((host, port))
        except OSError:
            sys.exit(1)
        finally:
            s.close()
PY
}

choose_ports() {
  if [ -n "${WANGGE_HA_PORT_BASE:-}" ]; then
    p0=$WANGGE_HA_PORT_BASE
    ports_free "$p0" $((p0 + 1)) $((p0 + 2)) ||
      { echo "ha: WANGGE_HA_PORT_BASE=$p0: ports $p0-$((p0 + 2)) are in use" >&2; return 1; }
  else
    local h i
    h="$(printf '%s' "$root" | cksum | cut -d' ' -f1)"
    for i in $(seq 0 199); do
      p0=$((20000 + 3 * ((h + i) % 3000)))
      ports_free "$p0" $((p0 + 1)) $((p0 + 2)) && break
      p0=""
    done
    [ -n "$p0" ] || { echo "ha: no three free ports found in 20000-28999" >&2; return 1; }
  fi
  echo "$p0" >"$base/port_base"
}

choose_sockdir() {  # a Unix socket path must stay under ~100 bytes
  sock="$base/run"
  if [ $((${#sock} + 17)) -gt 100 ]; then sock="$(mktemp -d /tmp/wangge-ha.XXXXXX)"; fi
  mkdir -p "$sock"
  echo "$sock" >"$base/sockdir"
}

create() {
  step="choose ports"
  mkdir -p "$base/xdg/config" "$base/xdg/data" "$base/xdg/run"
  choose_ports
  choose_sockdir
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres:postgres "$base" "$sock"
    d="$base"; while [ "$d" != / ]; do chmod o+x "$d" 2>/dev/null || true; d="$(dirname "$d")"; done
  fi
  as_owner chmod 700 "$base/xdg/run" "$sock"
  echo "ha: monitor on 127.0.0.1:$p0, nodes on $((p0 + 1)) and $((p0 + 2)), sockets in $sock" >&2
  monitor_uri="postgres://autoctl_node@127.0.0.1:$p0/pg_auto_failover?sslmode=disable"
  common=(--hostname 127.0.0.1 --auth trust --no-ssl --pgctl "$pgbin/pg_ctl")
  step="create the monitor"
  as_owner pg_autoctl create monitor --pgdata "$base/monitor" --pgport "$p0" "${common[@]}" \
    >"$base/monitor.log" 2>&1 </dev/null
  as_owner pg_autoctl config set --pgdata "$base/monitor" postgresql.listen_addresses 127.0.0.1 >/dev/null
  # pg_autoctl sizes shared_buffers from the machine's memory (GBs): three clusters on a
  # shared build machine get the test rig's 128MB
  echo "shared_buffers = 128MB" | as_owner tee -a "$base/monitor/postgresql.conf" >/dev/null
  step="start the monitor"
  run_node monitor
  wait_for 120 psql_at "$p0" pg_auto_failover -c "SELECT 1"
  # A lost primary is declared dead after seconds, not the default 20 s (these are the
  # monitor's health checks; docs/deploy.md discusses the trade-off).
  step="tune the monitor's health checks"
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
    step="create node$i (port $((p0 + i)))"
    as_owner pg_autoctl create postgres --pgdata "$base/node$i" --pgport $((p0 + i)) \
      --name "node$i" --dbname wangge --monitor "$monitor_uri" --listen 127.0.0.1 "${common[@]}" \
      >>"$base/node$i.log" 2>&1 </dev/null
    tune_node "node$i"
    as_owner pg_autoctl config set --pgdata "$base/node$i" timeout.network_partition_timeout 3 >/dev/null
    step="start node$i"
    run_node "node$i"
    if [ "$i" = 1 ]; then wait_for 180 node_state_is node1 single; fi
  done
  step="wait for node2 to be the synchronous standby"
  wait_for 240 node_state_is node2 secondary
  wait_for 120 node_state_is node1 primary
  step="provision roles and PostGIS"
  provision
  step=""
}

tune_node() {  # durable settings (deploy/postgresql/durable.conf), small memory for a test rig
  # (copied, not included: the checkout may not be readable by the postgres account)
  { echo "# deploy/postgresql/durable.conf"
    grep -v '^shared_buffers' "$root/deploy/postgresql/durable.conf"
    echo "shared_buffers = 128MB"
  } | as_owner tee -a "$base/$1/postgresql.conf" >/dev/null
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

explain_failure() {  # on a failed start: what failed, and the end of the logs that say why
  local status=$?
  [ -n "${step:-}" ] || return 0
  echo "ha: failed (status $status) at: $step" >&2
  for f in "$base"/monitor.log "$base"/node1.log "$base"/node2.log; do
    [ -f "$f" ] || continue
    echo "---- last lines of $f" >&2
    grep -E 'ERROR|FATAL|WARN|could not|in use' "$f" | tail -n 15 >&2 || true
  done
  echo "ha: full logs are kept in tests/artifacts/ha-logs/ by 'ha.sh stop'" >&2
}

start() {
  if [ ! -f "$base/monitor/PG_VERSION" ]; then
    if [ -e "$base" ]; then stop; fi  # what a failed start left
    trap explain_failure EXIT
    create
    trap - EXIT
    return
  fi
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

owned_by_us() {  # owned_by_us PID DIR: PID is alive and is a process working on DIR
  [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$2"
}

stop() {
  for n in node2 node1 monitor; do
    pid="$(keeper_pid "$n" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || true
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    # a PostgreSQL left by a killed keeper or a failed `pg_autoctl create`
    if [ -f "$base/$n/postmaster.pid" ]; then
      as_owner "$pgbin/pg_ctl" -D "$base/$n" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
      pm="$(head -1 "$base/$n/postmaster.pid" 2>/dev/null || true)"
      if [ -n "$pm" ] && owned_by_us "$pm" "$base/$n"; then kill -KILL "$pm" 2>/dev/null || true; fi
    fi
  done
  # any other process still working in this directory (a keeper's children, pg_basebackup)
  for p in $(pgrep -f -- "$base/" 2>/dev/null || true); do
    [ "$p" = $$ ] || { owned_by_us "$p" "$base/" && kill -KILL "$p" 2>/dev/null || true; }
  done
  if [ -d "$base" ]; then  # the logs outlive the cluster: a failed run can be read afterwards
    rm -rf "$keep_logs"
    mkdir -p "$keep_logs"
    cp "$base"/*.log "$keep_logs/" 2>/dev/null || true
    for n in monitor node1 node2; do
      [ -d "$base/$n/log" ] && cp -r "$base/$n/log" "$keep_logs/$n-postgres" 2>/dev/null || true
    done
  fi
  case "$sock" in /tmp/wangge-ha.*) rm -rf "$sock" ;; esac
  rm -rf "$base"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  kill-primary) kill_primary ;;
  primary-port) primary_port ;;
  ports) [ -n "$p0" ] || { echo "ha: not created" >&2; exit 1; }; echo "$((p0 + 1)),$((p0 + 2))" ;;
  state) as_owner pg_autoctl show state --pgdata "$base/monitor" ;;
  *) echo "usage: $0 start|stop|kill-primary|primary-port|ports|state" >&2; exit 2 ;;
esac
