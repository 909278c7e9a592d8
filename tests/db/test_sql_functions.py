"""Every database function of the project is its file in service/db/sql/functions/: the
migrated database has exactly those functions, and replacing each with its file changes
nothing PostgreSQL reports about it."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text

from service.db.sql_functions import (
    HISTORY_DIR,
    FunctionSqlChanged,
    content_hash,
    current_functions,
    function_sql,
)

OURS = "SELECT p.oid, p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
OURS += " WHERE n.nspname = 'public' AND p.proname LIKE 'wangge\\_%'"


def _definitions(conn) -> dict[str, str]:  # type: ignore[no-untyped-def]
    rows = conn.execute(text(OURS)).all()
    return {
        name: conn.execute(text("SELECT pg_get_functiondef(:oid)"), {"oid": oid}).scalar_one()
        for oid, name in rows
    }


def test_the_database_has_exactly_the_files_functions(test_db, owner_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    with owner_engine.connect() as conn:
        in_database = _definitions(conn)
    assert sorted(in_database) == sorted(current_functions())


def test_each_function_in_the_database_is_its_file(test_db, owner_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    with owner_engine.connect() as conn, conn.begin() as trans:
        before = _definitions(conn)
        for sql in current_functions().values():
            conn.connection.driver_connection.execute(sql)  # type: ignore[union-attr]
        after = _definitions(conn)
        trans.rollback()
    differs = sorted(name for name in before if before[name] != after[name])
    assert differs == [], f"created by a migration but not as in their file: {differs}"


def test_the_check_can_fail(test_db, owner_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    changed = current_functions()["wangge_setting"].replace("'wangge.'", "'wangge_x.'")
    with owner_engine.connect() as conn, conn.begin() as trans:
        before = _definitions(conn)["wangge_setting"]
        conn.connection.driver_connection.execute(changed)  # type: ignore[union-attr]
        assert _definitions(conn)["wangge_setting"] != before
        trans.rollback()


def test_history_files_keep_their_pinned_text() -> None:
    for path in HISTORY_DIR.glob("*.sql"):
        name, pin = path.stem.rsplit(".", 1)
        assert content_hash(path.read_text(encoding="utf-8")) == pin, path.name
        assert function_sql(name, pin).startswith("CREATE OR REPLACE FUNCTION")


def test_a_pin_nobody_kept_is_refused() -> None:
    with pytest.raises(FunctionSqlChanged, match="keep the old text"):
        function_sql("wangge_setting", "000000000000")
