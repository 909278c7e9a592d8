#!/usr/bin/env bash
# make failover: pg_auto_failover monitor + two nodes on local ports (.ci/ha.sh), `wangge serve`
# on a multi-host URL, the primary killed during 1,000 filings; then docs/reliability.md is
# rewritten with the figures. Needs Debian's postgresql-15-auto-failover (installed if missing).
# Takes one to two minutes. Runs as root or as an ordinary user, several checkouts side by side
# (each on ports of its own, see .ci/ha.sh). Leaves nothing running (.ci/ha.sh stop, also on
# failure; the clusters' logs are then in tests/artifacts/ha-logs/).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pg_autoctl >/dev/null 2>&1; then
  sudo_cmd=(); [ "$(id -u)" = 0 ] || sudo_cmd=(sudo -n)
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    postgresql-15-auto-failover >/dev/null
fi
bash .ci/setup.sh --tests
trap 'bash .ci/ha.sh stop </dev/null' EXIT
echo "== failover test (slow)"
.venv/bin/pytest tests/failover -m slow -p no:cacheprovider "$@"
.venv/bin/python -m tests.reliability_report --failover-only
