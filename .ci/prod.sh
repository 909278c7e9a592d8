#!/usr/bin/env bash
# make prod-test: the production tests (slow): `wangge serve` with 2 workers on a durable
# cluster of its own (SIGTERM during filings, escalation once per interval, SIGHUP reload), then the deploy
# check (docs/deploy.md followed up to HTTPS through nginx, .ci/deploy-check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/setup.sh --tests
echo "== production tests (slow)"
.venv/bin/pytest tests/prod -m slow -p no:cacheprovider "$@"
echo "== deploy check"
bash .ci/deploy-check.sh
