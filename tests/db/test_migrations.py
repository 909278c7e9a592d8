"""Migrations: upgrade to head, downgrade to base, upgrade again, on a scratch database."""

from __future__ import annotations

import os

import psycopg
import pytest
from alembic import command
from sqlalchemy.engine import make_url

from service.cli import alembic_config
from service.settings import local_database_url
from tests.conftest import drop_database, recreate_database

SCRATCH = f"wangge_migrations_{os.getpid()}"


def _tables(url: str) -> set[str]:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {r[0] for r in rows} - {"spatial_ref_sys"}


@pytest.mark.skipif("WANGGE_TEST_OWNER_URL" in os.environ, reason="needs the local cluster")
def test_upgrade_downgrade_upgrade() -> None:
    recreate_database(SCRATCH)
    url = local_database_url("wangge", SCRATCH)
    try:
        cfg = alembic_config(url)
        command.upgrade(cfg, "heads")
        at_head = _tables(url)
        assert {
            "district",
            "street",
            "community",
            "residential_area",
            "grid_cell",
            "report",
            "report_event",
            "patrol",
            "photo",
            "app_user",
            "event_category",
        } <= at_head
        command.downgrade(cfg, "base")
        assert _tables(url) == {"alembic_version"}
        command.upgrade(cfg, "heads")
        assert _tables(url) == at_head
    finally:
        drop_database(SCRATCH)


def test_catalogue_is_seeded(owner_conn) -> None:
    from sqlalchemy import text

    rows = owner_conn.execute(
        text(
            "SELECT c.code, d.code FROM event_category c JOIN department d"
            " ON d.id = c.department_id"
        )
    ).all()
    routed = dict(rows)
    assert routed["fire_lane_blocked"] == "fire_rescue"
    assert routed["illegal_construction"] == "urban_management"
    assert routed["elevator_safety"] == "market_regulation"
    assert len(routed) >= 30


def test_history_has_one_head() -> None:
    """Feature branches are joined: `alembic upgrade head` and the next revision are unambiguous."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert len(heads) == 1, f"several heads: {heads}; add a merge revision"
