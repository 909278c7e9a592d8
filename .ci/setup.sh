#!/usr/bin/env bash
# Installs what is missing for wangge on Debian 12: system packages (as root or via sudo),
# the virtual environment with the project, and the browser assets from npm.
#   setup.sh          what the app needs (make demo)
#   setup.sh --tests  also what the tests need: GDAL's command-line tools and Chromium
#   setup.sh --bench  also what `make bench` needs: wrk, GDAL's ogr2ogr and the baselines
#                     (tipg from PyPI in its own venv, var/bench-tipg-venv)
set -euo pipefail
for_tests=0
for_bench=0
[ "${1:-}" = "--tests" ] && for_tests=1
[ "${1:-}" = "--bench" ] && for_bench=1
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

need_pkgs=()
dpkg -s postgresql-15-postgis-3 >/dev/null 2>&1 || need_pkgs+=(postgresql-15-postgis-3)
if [ "$for_tests" = 1 ]; then
  command -v ogrinfo >/dev/null 2>&1 || need_pkgs+=(gdal-bin)
  [ -x /usr/bin/chromium ] || need_pkgs+=(chromium)
  # Chinese glyphs in the screenshots the browser tests save
  dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || need_pkgs+=(fonts-wqy-microhei)
fi
if [ "$for_bench" = 1 ]; then
  command -v wrk >/dev/null 2>&1 || need_pkgs+=(wrk)
  command -v ogr2ogr >/dev/null 2>&1 || need_pkgs+=(gdal-bin)
fi
command -v npm >/dev/null 2>&1 || need_pkgs+=(nodejs npm)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || need_pkgs+=(python3-venv)

if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_pkgs[*]}"
  sudo_cmd=()
  if [ "$(id -u)" != 0 ]; then
    # With a terminal sudo may ask for the password; without one (CI) it must not hang.
    if [ -t 0 ]; then sudo_cmd=(sudo); else sudo_cmd=(sudo -n); fi
  fi
  # sudo's env_reset drops exported variables: pass DEBIAN_FRONTEND on the command itself.
  apt=(env DEBIAN_FRONTEND=noninteractive apt-get)
  "${sudo_cmd[@]}" "${apt[@]}" update -qq
  "${sudo_cmd[@]}" "${apt[@]}" install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

# Virtual environment, reinstalled when pyproject.toml changes.
stamp=.venv/.installed
if [ ! -x .venv/bin/pip ]; then
  rm -rf .venv  # a half-made venv (e.g. ensurepip missing) is rebuilt, not reused
  python3 -m venv .venv
fi
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: installing Python packages into .venv"
  log=.venv/pip-install.log
  if ! { .venv/bin/pip install -q --disable-pip-version-check -U pip &&
         .venv/bin/pip install -q --disable-pip-version-check -e '.[dev]'; } >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: pip install failed (log above, also in $log)" >&2
    exit 1
  fi
  touch "$stamp"
fi

# Browser assets (Leaflet and plugins) from the npm registry, pinned by the lockfile.
if [ -f map_ui/package-lock.json ]; then
  if [ ! -d map_ui/node_modules ] || [ map_ui/package-lock.json -nt map_ui/node_modules/.package-lock.json ]; then
    echo "setup: installing browser assets (npm ci)"
    (cd map_ui && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi

# Benchmark baselines: tipg (tile server baseline) with the same ASGI server stack as wangge, pinned.
if [ "$for_bench" = 1 ]; then
  tipg=var/bench-tipg-venv
  if [ ! -x "$tipg/bin/uvicorn" ]; then
    echo "setup: installing the tipg baseline into $tipg"
    rm -rf "$tipg"
    python3 -m venv "$tipg"
    "$tipg/bin/pip" install -q --disable-pip-version-check "tipg==1.6.1" "uvicorn[standard]" \
      >"$tipg.log" 2>&1 || { cat "$tipg.log" >&2; exit 1; }
  fi
fi
