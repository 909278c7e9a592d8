#!/usr/bin/env bash
# Follows docs/deploy.md on this machine, in a scratch directory, up to a self-signed certificate,
# and checks the site over HTTPS through nginx. What it cannot do on a shared build machine it
# replaces, and says so: no system account (runs as the caller), no systemd (runs each unit's
# ExecStart line with the unit's EnvironmentFile), no system PostgreSQL cluster (a scratch
# cluster with the same deploy/postgresql/durable.conf), nginx on free ports with the site file
# rewritten to the scratch paths. Leaves nothing running. Takes about half a minute.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
site=wangge.example.gov.cn
sandbox="$(mktemp -d /tmp/wangge-deploy-check.XXXXXX)"
chmod 755 "$sandbox"
passed=0; failed=0
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  WANGGE_LOCALDB_DIR="$sandbox/pg" bash .ci/localdb.sh stop >/dev/null || true
  rm -rf "$sandbox"
}
trap cleanup EXIT
check() {  # check NAME COMMAND...
  local name=$1; shift
  if "$@"; then echo "PASS $name"; passed=$((passed + 1)); else echo "FAIL $name"; failed=$((failed + 1)); fi
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
unit_exec() { grep '^ExecStart=' "deploy/systemd/$1" | cut -d= -f2- | sed "s|/opt/wangge|$root|g"; }
env_file="$sandbox/etc/wangge/wangge.env"
# a command with the units' EnvironmentFile
with_env() { bash -c 'set -a; . "$0"; set +a; exec "$@"' "$env_file" "$@"; }

echo "== 1. packages (the account and the clone: this checkout)"
missing=()
for pkg in nginx openssl postgresql-15-postgis-3 python3-venv; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=(); [ "$(id -u)" = 0 ] || sudo_cmd=(sudo -n)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
  # the package may have started the machine's own nginx on port 80: this check uses its own
  if [[ " ${missing[*]} " == *" nginx "* ]]; then "${sudo_cmd[@]}" nginx -s quit 2>/dev/null || true; fi
fi
bash .ci/setup.sh >/dev/null

echo "== 2. PostgreSQL with deploy/postgresql/durable.conf (scratch cluster)"
WANGGE_LOCALDB_DIR="$sandbox/pg" WANGGE_LOCALDB_DURABLE=1 bash .ci/localdb.sh start >/dev/null
sock="$sandbox/pg/run"
durable="$(psql -h "$sock" -U wangge -d wangge -Atc "SELECT current_setting('fsync') || current_setting('synchronous_commit')")"
check "durable settings (fsync, synchronous_commit on)" test "$durable" = onon

echo "== 3. settings from deploy/wangge.env.template"
install -d "$sandbox/etc/wangge" "$sandbox/var"
install -m 640 deploy/wangge.env.template "$env_file"
app_port="$(free_port)"
sed -i -e "s|^WANGGE_DATABASE_URL=.*|WANGGE_DATABASE_URL=postgresql+psycopg://wangge_app@/wangge?host=$sock|" \
  -e "s|^WANGGE_MIGRATION_DATABASE_URL=.*|WANGGE_MIGRATION_DATABASE_URL=postgresql+psycopg://wangge@/wangge?host=$sock|" \
  -e "s|^WANGGE_DATA_DIR=.*|WANGGE_DATA_DIR=$sandbox/var|" "$env_file"
echo "WANGGE_BIND_PORT=$app_port" >>"$env_file"
refused() { ! with_env $(unit_exec wangge.service) >"$sandbox/refused.log" 2>&1 && grep -q "WANGGE_SECRET_KEY" "$sandbox/refused.log"; }
check "the template's placeholder secret is refused" refused
secret=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
sed -i "s|^WANGGE_SECRET_KEY=.*|WANGGE_SECRET_KEY=$secret|" "$env_file"

echo "== 4. migrations and the first administrator"
with_env .venv/bin/wangge db upgrade >/dev/null
with_env .venv/bin/wangge users create admin --role admin --password "deploy-check-$secret" >/dev/null

echo "== 5. the services (each unit's ExecStart with its EnvironmentFile)"
units_verify() {  # systemd's own check of the units (paths and account rewritten to this checkout)
  local dir="$sandbox/units" out
  install -d "$dir"
  for unit in wangge.service wangge-scheduler.service; do
    sed -e "s|/opt/wangge|$root|g" -e "s|^User=wangge|User=$(id -un)|" -e "s|^Group=wangge|Group=$(id -gn)|" \
      "deploy/systemd/$unit" >"$dir/$unit"
  done
  out="$(systemd-analyze verify "$dir/wangge.service" "$dir/wangge-scheduler.service" 2>&1)" &&
    { [ -z "$out" ] || { echo "$out"; false; }; }
}
if command -v systemd-analyze >/dev/null 2>&1; then check "systemd-analyze verify: no warning" units_verify; fi
# (bash -c itself in the background, so $! is the service's own pid once it execs)
bash -c 'set -a; . "$0"; set +a; exec "$@"' "$env_file" $(unit_exec wangge.service) \
  >"$sandbox/app.log" 2>&1 &
pids+=($!); app_pid=$!
bash -c 'set -a; . "$0"; set +a; exec "$@"' "$env_file" $(unit_exec wangge-scheduler.service) \
  >"$sandbox/scheduler.log" 2>&1 &
pids+=($!)
ready() { curl -sf "http://127.0.0.1:$app_port/ready" >/dev/null; }
for _ in $(seq 1 120); do ready && break; sleep 0.5; done
check "app ready on 127.0.0.1:$app_port" ready

echo "== 6. self-signed certificate"
ssl="$sandbox/ssl/wangge"
install -d -m 750 "$ssl"
openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=$site" \
  -addext "subjectAltName=DNS:$site" -keyout "$ssl/privkey.pem" -out "$ssl/fullchain.pem" 2>/dev/null

echo "== 7. nginx with deploy/nginx/ (scratch prefix, free ports)"
http_port="$(free_port)"; https_port="$(free_port)"
ngx="$sandbox/nginx"
install -d "$ngx/snippets" "$ngx/sites-enabled" "$ngx/tmp"
cp deploy/nginx/wangge-proxy.conf "$ngx/snippets/"
sed -e "s|/etc/ssl/wangge|$ssl|g" -e "s|/opt/wangge|$root|g" -e "s|/etc/nginx/snippets|$ngx/snippets|g" \
  -e "s|127.0.0.1:8000|127.0.0.1:$app_port|" -e "s|listen 80;|listen 127.0.0.1:$http_port;|" \
  -e "s|listen 443 ssl http2;|listen 127.0.0.1:$https_port ssl http2;|" -e '/listen \[::\]/d' \
  deploy/nginx/wangge.conf >"$ngx/sites-enabled/wangge"
cat >"$ngx/nginx.conf" <<CONF
user www-data;
pid $ngx/nginx.pid;
error_log $ngx/error.log;
events {}
http {
    include /etc/nginx/mime.types;
    access_log $ngx/access.log;
    client_body_temp_path $ngx/tmp/body;
    proxy_temp_path $ngx/tmp/proxy;
    fastcgi_temp_path $ngx/tmp/fastcgi;
    uwsgi_temp_path $ngx/tmp/uwsgi;
    scgi_temp_path $ngx/tmp/scgi;
    include $ngx/sites-enabled/wangge;
}
CONF
check "nginx -t" nginx -t -q -p "$ngx" -c "$ngx/nginx.conf"
nginx -p "$ngx" -c "$ngx/nginx.conf" -g 'daemon off;' &
pids+=($!)
for _ in $(seq 1 40); do [ -f "$ngx/nginx.pid" ] && break; sleep 0.25; done
sleep 0.5

echo "== checks over HTTPS through nginx"
https=(curl -s --cacert "$ssl/fullchain.pem" --resolve "$site:$https_port:127.0.0.1")
base="https://$site:$https_port"
status() { "${https[@]}" -o /dev/null -w '%{http_code}' "$@"; }
check "GET /ready over HTTPS: 200" test "$(status "$base/ready")" = 200
check "GET /health over HTTPS: 200" test "$(status "$base/health")" = 200
check "certificate verified against the self-signed CA" "${https[@]}" -f -o /dev/null "$base/health"
check "HSTS header" bash -c "$(printf '%q ' "${https[@]}") -D - -o /dev/null $base/health | grep -qi '^strict-transport-security'"
static_ok() {
  "${https[@]}" -D "$sandbox/static.h" -o "$sandbox/static.body" "$base/static/map.css" &&
    cmp -s "$sandbox/static.body" map_ui/static/map.css && ! grep -qi '^x-request-id' "$sandbox/static.h"
}
check "/static/ served by nginx from the checkout (not the app)" static_ok
check "/vendor/ (npm packages) served" test "$(status "$base/vendor/leaflet/dist/leaflet.js")" = 200
check "/metrics refused through nginx" test "$(status "$base/metrics")" = 404
check "/metrics answered on 127.0.0.1 to Prometheus" bash -c "curl -sf http://127.0.0.1:$app_port/metrics | grep -q wangge_http_request_duration_seconds"
check "http redirects to https" bash -c "curl -s -o /dev/null -w '%{http_code} %{redirect_url}' --resolve $site:$http_port:127.0.0.1 http://$site:$http_port/map | grep -q '^301 https://'"
login() {
  "${https[@]}" -f -X POST "$base/api/auth/token" -d username=admin -d "password=deploy-check-$secret" |
    grep -q access_token
}
check "admin logs in over HTTPS" login
rid="$("${https[@]}" -D - -o /dev/null "$base/api/me" | tr -d '\r' | awk -F': ' 'tolower($1)=="x-request-id"{print $2}')"
check "nginx's request id reaches the app's JSON log" bash -c "[ -n '$rid' ] && grep -q '\"request_id\": \"$rid\"' $sandbox/app.log"
check "scheduler running" grep -q "scheduler started" "$sandbox/scheduler.log"

echo "== stop (SIGTERM, as systemctl stop)"
kill -TERM "$app_pid"
stopped() { for _ in $(seq 1 90); do kill -0 "$app_pid" 2>/dev/null || return 0; sleep 0.5; done; return 1; }
check "app stopped on SIGTERM" stopped
check "app exited cleanly (status 0)" wait "$app_pid"
check "no worker left behind" bash -c "! pgrep -f 'multiprocessing.*' -P $app_pid >/dev/null"
echo "deploy-check: $passed passed, $failed failed"
[ "$failed" = 0 ]
