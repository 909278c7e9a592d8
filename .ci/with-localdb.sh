#!/usr/bin/env bash
# .ci/with-localdb.sh COMMAND...: test set-up, the local PostGIS started if needed, COMMAND run,
# and the cluster stopped again if this script started it (also when COMMAND fails).
# With WANGGE_DATABASE_URL set, the tests use that database and no local cluster is touched.
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
"$@"
