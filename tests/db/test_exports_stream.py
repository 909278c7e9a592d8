"""The export cursor and COPY run in the caller's transaction, with their RLS identity."""

from __future__ import annotations

import json
import threading
import time

from sqlalchemy import Text, cast, create_engine, func, literal, select, text
from sqlalchemy.pool import NullPool

from service.api.deps import set_rls_identity
from service.db.repositories.export_layers import ExportFilter, feature_text_select
from service.db.repositories.exports import copy_lines, stream_batches
from service.domain.principal import Principal
from service.exports.streams import geojson_from_lines

# How long a cancelled COPY may take to stop on a loaded machine (8 ms when idle); a bound so
# that a regression fails instead of hanging, not a speed check.
CANCEL_BOUND_S = 60

TRICKY = 'a\\b "引号" \\n not a newline\nreal newline\ttab \\\\ 反斜杠\\ end\\'


def test_cursor_sees_the_callers_identity(test_db) -> None:
    engine = create_engine(test_db.app_url)
    me = Principal(42, "someone", "street_office", 7, 8, None)
    stmt = select(
        func.current_setting("wangge.user_id", True), func.current_setting("wangge.role", True)
    )
    rows = [
        r
        for batch in stream_batches(engine, stmt, prepare=lambda s: set_rls_identity(s, me))
        for r in batch
    ]
    engine.dispose()
    assert [tuple(r) for r in rows] == [("42", "street_office")]


def test_copy_sees_the_callers_identity_and_has_no_statement_timeout(test_db) -> None:
    engine = create_engine(test_db.app_url)
    me = Principal(42, "someone", "street_office", 7, 8, None)
    stmt = select(
        func.json_build_array(
            func.current_setting("wangge.role", True), func.current_setting("statement_timeout")
        )
    )
    chunks = list(copy_lines(engine, stmt, prepare=lambda s: set_rls_identity(s, me)))
    engine.dispose()
    assert chunks == [(1, b'["street_office", "0"]\n')]


def test_copy_gives_json_text_back_byte_for_byte(test_db) -> None:
    """COPY's text format escapes backslashes; copy_lines undoes exactly that."""
    engine = create_engine(test_db.app_url)
    stmt = select(cast(func.json_build_object("d", literal(TRICKY)), Text))
    ((rows, lines),) = list(copy_lines(engine, stmt))
    engine.dispose()
    assert rows == 1 and lines.endswith(b"}\n") and lines.count(b"\n") == 1
    assert json.loads(lines) == {"d": TRICKY}


def test_geojson_leaves_in_chunks_before_the_copy_is_done(demo_db) -> None:
    engine = create_engine(demo_db.owner_url)
    admin = Principal(0, "operator", "admin", None, None, None)
    stmt = feature_text_select("grid_cells", admin, "all", ExportFilter(), separator=",")
    fetched: list[int] = []

    def counting():
        for rows, lines in copy_lines(engine, stmt, chunk_bytes=1):
            fetched.append(rows)
            yield lines

    chunks = geojson_from_lines(counting(), {"layer": "grid_cells"})
    next(chunks)  # the opening
    first_feature = next(chunks)
    assert first_feature.startswith(b'{"type":"Feature"') and fetched == [1]
    rest = b"".join(chunks)
    engine.dispose()
    assert len(fetched) > 1 and rest.endswith(b"]}\n")
    doc = json.loads(b'{"features":[' + first_feature + rest)
    assert len(doc["features"]) == len(fetched)


def test_closing_the_stream_cancels_the_copy(demo_db) -> None:
    """A client that goes away must not make the app read the rest of the COPY."""
    name = "wangge-test-copy-cancel"
    engine = create_engine(
        demo_db.owner_url, pool_size=1, max_overflow=0, connect_args={"application_name": name}
    )
    # A billion rows of 1 kB: reading the rest would take hours, so a close() that returns at
    # all cancelled the COPY; the bound only makes a regression fail instead of hanging. The
    # series is in the select list, where PostgreSQL makes rows as they are read: in FROM it
    # first wrote all 10**9 to a temporary file (98 s before the first row on an idle machine).
    endless = select(func.repeat("x", 1000 + 0 * func.generate_series(1, 10**9)))
    lines = copy_lines(engine, endless)
    assert next(lines)[0] > 0
    closing = threading.Thread(target=lines.close, daemon=True)
    closing.start()
    closing.join(timeout=CANCEL_BOUND_S)
    assert not closing.is_alive(), "closing the stream went on reading the COPY"
    _wait_until_no_statement_runs(demo_db.owner_url, name)
    with engine.connect() as conn:  # the one pooled connection is usable again
        assert conn.scalar(select(literal(1))) == 1
    engine.dispose()


def _wait_until_no_statement_runs(url: str, application_name: str) -> None:
    """Poll pg_stat_activity until no session of `application_name` runs a statement."""
    watcher = create_engine(url, poolclass=NullPool)
    deadline = time.monotonic() + CANCEL_BOUND_S
    try:
        while True:
            with watcher.connect() as conn:
                running = conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE application_name = :name AND state = 'active'"
                    ),
                    {"name": application_name},
                )
            if running == 0:
                return
            assert time.monotonic() < deadline, "the COPY still runs in the database"
            time.sleep(0.1)
    finally:
        watcher.dispose()
