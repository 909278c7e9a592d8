"""Write docs/reliability.md from the last runs' artifacts (tests/artifacts/*.json).

.venv/bin/pytest tests/api/test_hostile_corpus.py    # → tests/artifacts/hostile_summary.json
make faults                                            # → tests/artifacts/faults_summary.json
make failover                                          # → tests/artifacts/failover_summary.json
.venv/bin/python -m tests.reliability_report           # → docs/reliability.md
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts"
TARGET = ROOT / "docs" / "reliability.md"
TEMPLATE = ROOT / "docs" / "reliability.template.md"


def _load(name: str) -> dict[str, Any]:
    path = ARTIFACTS / name
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    )
    return done.stdout.strip() or "unknown"


def _row(label: str, value: Any, target: str = "") -> str:
    shown = "not run" if value is None else value
    return f"| {label} | {shown} | {target} |"


def figures() -> str:
    """The figures table, from whatever artifacts exist (missing runs say 'not run')."""
    hostile = _load("hostile_summary.json")
    faults = _load("faults_summary.json")
    crash = faults.get("database_crash", {})
    pool = faults.get("pool_exhaustion", {})
    filing_pool = faults.get("pool_exhaustion_filing", {})
    stalled = faults.get("stalled_exports", {})
    rows = [
        "| figure | last run | must be |",
        "|---|---|---|",
        _row("hostile cases tried", hostile.get("cases_tried"), "≥ 60"),
        _row("targets covered", ", ".join(hostile.get("targets", [])) or None),
        _row("accepted silently", hostile.get("accepted_silently"), "0"),
        _row("refused but something stored", hostile.get("refused_but_stored"), "0"),
        _row("5xx answers (corpus)", hostile.get("server_errors_5xx"), "0"),
        _row("status codes seen", json.dumps(hostile.get("status_counts")) if hostile else None),
        _row("fault workload", crash.get("workload")),
        _row(
            "filings / concurrent clients",
            f"{crash['filings']} / {crash['clients']}" if crash else None,
        ),
        _row("acknowledged", crash.get("acknowledged")),
        _row("acknowledged but lost", crash.get("lost"), "0"),
        _row("duplicates", crash.get("duplicates"), "0"),
        _row(
            "answers during the outage (all 503?)",
            f"{crash['answers_during_outage']} ({crash['outage_non_503']} not 503)"
            if crash
            else None,
            "all 503",
        ),
        _row("503 without Retry-After", crash.get("outage_503_without_retry_after"), "0"),
        _row(
            "slowest answer during the outage (s)",
            crash.get("outage_slowest_answer_s"),
            "< 10 (request timeout)",
        ),
        _row("outage length (s)", crash.get("outage_s")),
        _row("recovery after the database is back (s)", crash.get("recovery_s"), "≤ 30"),
        _row("fault run wall time (s)", crash.get("total_s")),
        _row(
            "pool exhaustion: requests / pool size",
            f"{pool['concurrent_requests']} / {pool['pool_size']}" if pool else None,
        ),
        _row("pool exhaustion: answered 503", pool.get("answered_503")),
        _row(
            "pool exhaustion: fastest / slowest answer (s)",
            f"{pool['fastest_503_s']} / {pool['slowest_s']}" if pool else None,
        ),
        _row("pool exhaustion: requests that hung", pool.get("hung"), "0"),
        _row(
            "filing pool exhaustion: requests / pool size",
            f"{filing_pool['concurrent_requests']} / {filing_pool['pool_size']}"
            if filing_pool
            else None,
        ),
        _row("filing pool exhaustion: answered 503", filing_pool.get("answered_503")),
        _row(
            "filing pool exhaustion: fastest / slowest answer (s)",
            f"{filing_pool['fastest_503_s']} / {filing_pool['slowest_s']}" if filing_pool else None,
        ),
        _row("filing pool exhaustion: requests that hung", filing_pool.get("hung"), "0"),
        *_stalled_rows(stalled),
    ]
    return "\n".join(rows)


def _stalled_rows(st: dict[str, Any]) -> list[str]:
    """Stalled export downloads (tests/faults/test_stalled_exports.py)."""
    caps = f"{st['export_max_concurrent']} / {st['export_max_per_user']}" if st else None
    return [
        _row(
            "stalled downloads: opened / streaming / refused 429",
            f"{st['stalled_downloads']} / {st['downloads_streaming']} / "
            f"{st['downloads_refused_429']}"
            if st
            else None,
        ),
        _row("stalled downloads: caps (global / per account)", caps),
        _row(
            "stalled downloads: stream sessions busy at once",
            st.get("stream_sessions_busy_during_stall"),
            "≤ global cap",
        ),
        _row(
            "stalled downloads: other users' answers (not 200)",
            f"{st['others_answers']} ({st['others_not_200']})" if st else None,
            "0 not 200",
        ),
        _row("stalled downloads: slowest other answer (s)", st.get("others_slowest_s"), "< 5"),
        _row(
            "stalled downloads: all sessions idle after (s; send timeout)",
            f"{st['all_sessions_idle_after_s']} ({st['send_timeout_s']})" if st else None,
        ),
        _row("stalled downloads: sessions left busy after", st.get("busy_sessions_after"), "0"),
        _row("stalled downloads: export right after", st.get("export_after_stall"), "200"),
        _row(
            "60 concurrent CSV exports: statuses",
            json.dumps(st["csv_burst_statuses"]) if st else None,
            "200 / 429 only",
        ),
        _row(
            "app memory: start / warmed up / 8 stalled / peak (with logins) / after (MiB)",
            f"{st.get('rss_at_start_mib')} / {st['rss_before_mib']} / "
            f"{st.get('rss_with_stalled_downloads_mib')} / {st['rss_peak_mib']}"
            f" / {st['rss_after_mib']}"
            if st
            else None,
            "peak − warmed up < 200",
        ),
    ]


def failover_figures() -> str:
    """The failover table (make failover), or a line saying it was not run."""
    f = _load("failover_summary.json")
    if not f:
        return "Not run yet: `make failover`."
    rows = [
        "| figure | last run | must be |",
        "|---|---|---|",
        _row("filings / concurrent clients", f"{f['filings']} / {f['clients']}"),
        _row(
            "synchronous replication before the kill",
            f"`synchronous_standby_names = {f['before']['synchronous_standby_names']}`",
        ),
        _row("primary killed (SIGKILL, keeper and PostgreSQL)", f["killed_node"]),
        _row("acknowledged before the kill", f["acknowledged_before_kill"]),
        _row("acknowledged", f["acknowledged"], str(f["filings"])),
        _row("acknowledged but lost", f["lost"], "0"),
        _row("duplicates", f["duplicates"], "0"),
        _row(
            "answers during the switch (not 2xx: all 503?)",
            f"{f['switch_answers']} ({f['switch_acknowledged']} acknowledged, "
            f"{f['switch_not_503']} not 503)",
            "all 503 but commits made before the kill",
        ),
        _row("503 without Retry-After", f["switch_503_without_retry_after"], "0"),
        _row("slowest answer during the switch (s)", f["switch_slowest_answer_s"]),
        _row("time until filings succeed again (s)", f["recovery_s"], "≤ 30"),
        _row("connections cut (transport errors)", json.dumps(f["transport_errors"])),
        _row(
            "primary's port before → after the switch",
            f"{f['before']['primary_port']} → {f['after']['primary_port']}",
        ),
        _row("cluster start-up, `ha.sh start` (s)", f.get("cluster_start_s", "")),
        _row("filing run wall time (s)", f["total_s"]),
    ]
    return "\n".join(rows)


FAILOVER_BEGIN, FAILOVER_END = "<!-- failover:begin -->", "<!-- failover:end -->"


def update_failover_only() -> None:
    """Replace only the failover figures in the existing page (make failover)."""
    text = TARGET.read_text(encoding="utf-8")
    head, rest = text.split(FAILOVER_BEGIN, 1)
    _, tail = rest.split(FAILOVER_END, 1)
    figures_now = f"{FAILOVER_BEGIN}\n{failover_figures()}\n{FAILOVER_END}"
    TARGET.write_text(head + figures_now + tail, encoding="utf-8")
    print(f"updated the failover figures in {TARGET.relative_to(ROOT)}")


def main() -> None:
    text = TEMPLATE.read_text(encoding="utf-8")
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    text = text.replace("{{figures}}", figures()).replace("{{failover}}", failover_figures())
    text = text.replace(
        "{{generated}}",
        f"Generated {stamp} from commit {_commit()} by "
        "`.venv/bin/python -m tests.reliability_report`.",
    )
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")


if __name__ == "__main__":
    import sys

    if "--failover-only" in sys.argv:
        update_failover_only()
    else:
        main()
