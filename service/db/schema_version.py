"""Which migrations the code expects and which the database has (for /ready)."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Connection, text

from service.settings import PROJECT_ROOT


@lru_cache(maxsize=1)
def expected_revisions() -> frozenset[str]:
    """The head revisions of the migrations shipped with this code."""
    from alembic.script import ScriptDirectory

    return frozenset(ScriptDirectory(str(PROJECT_ROOT / "migrations")).get_heads())


def applied_revisions(conn: Connection) -> frozenset[str]:
    """The revisions recorded in the database's alembic_version table."""
    rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
    return frozenset(rows)
