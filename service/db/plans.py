"""Statements whose best plan depends on their values.

psycopg prepares a statement on a connection after its fifth run, and PostgreSQL then may switch
to one generic plan for all values. For a bbox filter the generic plan cannot know how much of
the table the box covers: it guesses a few rows and scans the geometry index of every monthly
partition, which is right for a street-sized box and ten times too slow for a district's
(measured at 1,000,000 reports: 40 ms planned for the values, 430-500 ms generic; docs/
benchmarks.md). Planning for the values costs a few milliseconds per run on the partitions, so
it is asked for only where a statement's values decide its plan.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Result, TextClause, text
from sqlalchemy.orm import Session

_CUSTOM = text(
    "SELECT current_setting('plan_cache_mode') AS was,"
    " set_config('plan_cache_mode', 'force_custom_plan', true)"
)
_RESTORE = text("SELECT set_config('plan_cache_mode', :was, true)")


def execute_planned_for_values(
    session: Session, statement: TextClause, params: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Run `statement` planned for these `params` (never from a cached generic plan), and put
    plan cache mode back as it was. On an error the transaction is aborted, which undoes the
    setting with everything else."""
    was = session.execute(_CUSTOM).scalar_one()
    result: Result[Any] = session.execute(statement, params)
    rows = [dict(r._mapping) for r in result]
    session.execute(_RESTORE, {"was": was})
    return rows
