#!/usr/bin/env bash
# make test: set-up, lint, the whole pytest suite against the local PostGIS; stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != --inside ]; then exec bash .ci/with-localdb.sh bash .ci/test.sh --inside "$@"; fi
shift
echo "== lint"
.venv/bin/ruff check service map_ui gis_data tests bench migrations
.venv/bin/ruff format --check service map_ui gis_data tests bench migrations
.venv/bin/mypy service map_ui gis_data
# the browser code (ES modules); eslint comes from map_ui's lockfile (npm ci in .ci/setup.sh)
(cd map_ui && node_modules/.bin/eslint --max-warnings 0 .)
echo "== tests"
.venv/bin/pytest "$@"
