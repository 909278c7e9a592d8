#!/usr/bin/env bash
# make faults: the slow fault tests (PostgreSQL crashed under load, pool exhausted) against the
# worktree's local cluster, which they stop and restart; stops the cluster if it started it.
# (Against an external database, WANGGE_DATABASE_URL, the fault tests skip themselves.)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != --inside ]; then exec bash .ci/with-localdb.sh bash .ci/faults.sh --inside "$@"; fi
shift
echo "== fault tests (slow)"
.venv/bin/pytest tests/faults -m slow -p no:cacheprovider "$@"
.venv/bin/python -m tests.reliability_report
