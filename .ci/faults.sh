#!/usr/bin/env bash
# make faults: the slow fault tests (PostgreSQL crashed under load, pool exhausted) against the
# worktree's local cluster, which they stop and restart; stops the cluster if it started it.
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
bash .ci/localdb.sh start
echo "== fault tests (slow)"
.venv/bin/pytest tests/faults -m slow -p no:cacheprovider "$@"
.venv/bin/python -m tests.reliability_report
