#!/usr/bin/env bash
# make test: set-up, lint, the whole pytest suite against the local PostGIS; stops what it started.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
bash .ci/setup.sh --tests
started_db=0
if [ -z "${WANGGE_DATABASE_URL:-}" ] && [ "$(bash .ci/localdb.sh status)" != running ]; then
  started_db=1
fi
cleanup() {
  if [ "$started_db" = 1 ]; then bash .ci/localdb.sh stop; fi
}
trap cleanup EXIT
if [ -z "${WANGGE_DATABASE_URL:-}" ]; then bash .ci/localdb.sh start; fi
echo "== lint"
.venv/bin/ruff check service map_ui gis_data tests bench migrations
.venv/bin/ruff format --check service map_ui gis_data tests bench migrations
.venv/bin/mypy service map_ui gis_data
echo "== tests"
.venv/bin/pytest "$@"
