"""Scratch database for the report-filing benchmark: migrated, loaded at benchmark size."""

from __future__ import annotations

import os
import time

import psycopg
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from service.settings import local_database_url

BENCH_DB = os.environ.get("WANGGE_BENCH_DB", "wangge_bench")


def libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def bench_urls() -> tuple[str, str]:
    return local_database_url("wangge", BENCH_DB), local_database_url("wangge_app", BENCH_DB)


def database_ready(owner_url: str) -> bool:
    """True when the scratch database exists and holds a loaded city."""
    try:
        with psycopg.connect(libpq(owner_url)) as conn:
            return bool(conn.execute("SELECT count(*) > 0 FROM grid_cell").fetchone()[0])  # type: ignore[index]
    except psycopg.Error:
        return False


def prepare_database(reports: int | None, cells: int | None) -> float:
    """Recreate, migrate and load the scratch database; seconds taken."""
    from alembic import command

    from gis_data.demo_loader import load_demo
    from gis_data.demo_scale import DemoScale
    from service.cli import alembic_config

    began = time.perf_counter()
    admin = libpq(local_database_url("wangge", "postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}" OWNER wangge TEMPLATE wangge_template')
    owner, _ = bench_urls()
    command.upgrade(alembic_config(owner), "heads")
    scale = DemoScale.benchmark().override(reports=reports, grid_cells=cells)
    print(f"loading benchmark city: {scale}", flush=True)
    print(load_demo(owner, scale=scale, progress=True), flush=True)
    engine = create_engine(owner)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return time.perf_counter() - began


if __name__ == "__main__":
    print(f"prepared in {prepare_database(None, None):.0f} s")
