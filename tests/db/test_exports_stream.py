"""The export cursor runs in the caller's transaction, with their row-level-security identity."""

from __future__ import annotations

from sqlalchemy import create_engine, func, select

from service.api.deps import set_rls_identity
from service.db.repositories.export_layers import ExportFilter, feature_text_select
from service.db.repositories.exports import stream_batches
from service.domain.principal import Principal
from service.exports.streams import geojson_chunks


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


def test_geojson_leaves_in_batches_before_the_cursor_is_done(demo_db) -> None:
    engine = create_engine(demo_db.owner_url)
    admin = Principal(0, "operator", "admin", None, None, None)
    stmt = feature_text_select("grid_cells", admin, "all", ExportFilter())
    fetched: list[int] = []

    def counting():
        for batch in stream_batches(engine, stmt, batch_size=1):
            fetched.append(len(batch))
            yield batch

    chunks = geojson_chunks(counting(), {"layer": "grid_cells"})
    next(chunks)  # the opening
    first_feature = next(chunks)
    assert b'"type":"Feature"' in first_feature and len(fetched) == 1
    rest = b"".join(chunks)
    engine.dispose()
    assert len(fetched) > 1 and rest.endswith(b"]}\n")
