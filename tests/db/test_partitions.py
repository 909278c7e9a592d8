"""Monthly partitions of report, report_event and audit_log (migration 027, docs/scale.md).

The migration round trip runs on a scratch database with the demo city and two years of
back-dated reports; the rest runs on the session's demo database."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from service.cli import alembic_config
from service.settings import local_database_url
from tests.conftest import drop_database, recreate_database
from tests.db import test_assessment_tally, test_case_tally
from tests.rls_identity import act_as

BEFORE = "026_survey_scores"
AFTER = "027_partition_by_month"
SCRATCH = f"wangge_partitions_{os.getpid()}"
# the rows as they were (027 fills district_id of history rows that lacked it and adds it to
# audit_log; those are checked separately)
COLUMNS = {
    "report": "*",
    "report_event": "id, report_id, from_status, to_status, actor_id, note, street_id, created_at",
    "audit_log": "id, at, user_id, username, action, method, path, object_type, object_id,"
    " client_addr, summary",
}


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _checksums(conn: psycopg.Connection) -> dict[str, tuple[int, str]]:  # type: ignore[type-arg]
    out = {}
    for table, cols in COLUMNS.items():
        count, digest = conn.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"  # noqa: S608
            f" FROM (SELECT {cols} FROM {table}) t"
        ).fetchone()
        out[table] = (count, digest)
    return out


def _catalogue(conn: psycopg.Connection) -> dict[str, list[tuple]]:  # type: ignore[type-arg]
    """Policies, triggers, grants and foreign-key names as a comparable set."""
    return {
        "policies": conn.execute(
            "SELECT tablename, policyname, permissive, roles::text, cmd, qual, with_check"
            " FROM pg_policies WHERE schemaname = 'public' ORDER BY 1, 2"
        ).fetchall(),
        "triggers": conn.execute(
            "SELECT tgrelid::regclass::text, tgname, pg_get_triggerdef(oid) FROM pg_trigger"
            " WHERE NOT tgisinternal AND tgparentid = 0"
            " AND tgname NOT IN ('report_key_sync', 'report_event_fill_district',"
            "                    'audit_log_fill_district') ORDER BY 1, 2"
        ).fetchall(),
        "grants": conn.execute(
            "SELECT relname, relacl::text, relrowsecurity FROM pg_class"
            " WHERE relname IN ('report', 'report_event', 'audit_log') ORDER BY 1"
        ).fetchall(),
        "foreign keys": conn.execute(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint"
            " WHERE contype = 'f' AND conparentid = 0 AND connamespace = 'public'::regnamespace"
            " AND conrelid::regclass::text NOT IN ('report_key', 'audit_log') ORDER BY 1, 2"
        ).fetchall(),
        "indexes": conn.execute(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public'"
            " AND tablename IN ('report', 'report_event', 'audit_log') ORDER BY 1"
        ).fetchall(),
    }


def _backdate(conn: psycopg.Connection) -> None:  # type: ignore[type-arg]
    """Copies of the demo reports (with history and audit rows) spread over 24 months."""
    conn.execute(
        """
        CREATE TEMP TABLE spread AS
          SELECT r.id AS old_id, gen_random_uuid() AS new_id, m,
                 date_trunc('month', now()) - make_interval(months => m)
                   + interval '3 days 5 hours' AS at
            FROM report r, generate_series(1, 24) m;
        INSERT INTO report (id, geom, accuracy_m, coordinate_system, placed_by_hand,
            category_code, description, status, reporter_id, grid_cell_id, residential_area_id,
            community_id, street_id, district_id, department_id, deadline_at, escalation_level,
            content_hash, created_at, updated_at, closed_at, channel)
          SELECT s.new_id, r.geom, r.accuracy_m, r.coordinate_system, r.placed_by_hand,
                 r.category_code, r.description, 'closed', r.reporter_id, r.grid_cell_id,
                 r.residential_area_id, r.community_id, r.street_id, r.district_id,
                 r.department_id, s.at + interval '2 days', r.escalation_level, r.content_hash,
                 s.at, s.at, s.at + interval '1 day', r.channel
            FROM report r JOIN spread s ON s.old_id = r.id;
        INSERT INTO report_event (report_id, from_status, to_status, actor_id, street_id,
                                  district_id, created_at)
          SELECT s.new_id, NULL, 'reported', r.reporter_id, r.street_id,
                 CASE WHEN s.m % 2 = 0 THEN r.district_id END, s.at
            FROM report r JOIN spread s ON s.old_id = r.id;
        INSERT INTO audit_log (at, user_id, username, action, method, path, object_type,
                               object_id)
          SELECT s.at, r.reporter_id, 'x', 'report.create', 'POST', '/api/reports', 'report',
                 s.new_id::text
            FROM report r JOIN spread s ON s.old_id = r.id;
        """
    )


@pytest.mark.skipif("WANGGE_TEST_OWNER_URL" in os.environ, reason="needs the local cluster")
def test_migration_keeps_every_row_and_the_catalogue() -> None:
    from gis_data.demo_loader import DemoScale, load_demo

    recreate_database(SCRATCH)
    url = local_database_url("wangge", SCRATCH)
    try:
        cfg = alembic_config(url)
        command.upgrade(cfg, BEFORE)
        load_demo(url, scale=DemoScale.demo())
        with psycopg.connect(_dsn(url), autocommit=True) as conn:
            _backdate(conn)
            before_rows = _checksums(conn)
            before_cat = _catalogue(conn)
        assert before_rows["report"][0] > 24 * 10
        command.upgrade(cfg, AFTER)
        with psycopg.connect(_dsn(url), autocommit=True) as conn:
            assert _checksums(conn) == before_rows
            after_cat = _catalogue(conn)
            for what in ("policies", "triggers", "grants", "indexes"):
                assert after_cat[what] == before_cat[what], what
            assert after_cat["foreign keys"] == before_cat["foreign keys"]
            # 25+ monthly partitions of each table, DEFAULT empty, every row has its district
            parts = conn.execute(
                "SELECT count(*) FROM pg_inherits WHERE inhparent = 'report'::regclass"
            ).fetchone()[0]
            assert parts >= 24 + 1 + 1
            assert conn.execute("SELECT count(*) FROM report_default").fetchone()[0] == 0
            assert (
                conn.execute(
                    "SELECT count(*) FROM report_event WHERE district_id IS NULL"
                ).fetchone()[0]
                == 0
            )
            assert (
                conn.execute(
                    "SELECT count(*) FROM audit_log WHERE district_id IS NULL"
                    " AND object_type = 'report'"
                ).fetchone()[0]
                == 0
            )
            assert (
                conn.execute("SELECT count(*) FROM report_key").fetchone()[0]
                == (before_rows["report"][0])
            )
        command.downgrade(cfg, BEFORE)
        with psycopg.connect(_dsn(url), autocommit=True) as conn:
            assert _checksums(conn) == before_rows
            assert _catalogue(conn) == before_cat
            relkind = conn.execute("SELECT relkind FROM pg_class WHERE relname = 'report'")
            assert relkind.fetchone()[0] == "r"
        command.upgrade(cfg, AFTER)
    finally:
        drop_database(SCRATCH)


def _cli(test_db, monkeypatch, *args: str):  # type: ignore[no-untyped-def]
    from service.cli import app

    monkeypatch.setenv("WANGGE_DATABASE_URL", test_db.app_url)
    monkeypatch.setenv("WANGGE_MIGRATION_DATABASE_URL", test_db.owner_url)
    return CliRunner().invoke(app, ["partitions", *args])


def _one_report(conn, rid: uuid.UUID, at: str, status: str = "closed", ref: str | None = None):  # type: ignore[no-untyped-def]
    """A copy of some demo report under `rid`, created at `at`; how many rows went in."""
    return conn.execute(
        text(
            """
            INSERT INTO report (id, geom, category_code, reporter_id, community_id, street_id,
                                district_id, department_id, deadline_at, status, created_at,
                                updated_at, external_ref)
            SELECT :id, geom, category_code, reporter_id, community_id, street_id, district_id,
                   department_id, CAST(:at AS timestamptz) + interval '2 days', :status,
                   CAST(:at AS timestamptz), CAST(:at AS timestamptz), :ref
              FROM report ORDER BY created_at LIMIT 1
            """
        ),
        {"id": rid, "at": at, "status": status, "ref": ref},
    ).rowcount


def test_filing_lands_in_this_months_partition(client, auth_headers, owner_engine) -> None:  # type: ignore[no-untyped-def]
    from tests.api.field_helpers import points_in_community_of, report_body

    lon, lat = points_in_community_of(owner_engine, "worker1", 1, seed=17)[0]
    body = report_body(lon, lat)
    r = client.post("/api/reports", json=body, headers=auth_headers["worker1"])
    assert r.status_code == 201, r.text
    again = client.post("/api/reports", json=body, headers=auth_headers["worker1"])
    assert again.status_code in (200, 201) and again.json()["id"] == body["id"]
    now = datetime.now(UTC)
    with owner_engine.connect() as conn:
        where = conn.execute(
            text("SELECT tableoid::regclass::text, district_id FROM report WHERE id = :id"),
            {"id": body["id"]},
        ).all()
        assert [w[0] for w in where] == [f"report_y{now:%Y}m{now:%m}"]  # one row, this month
        history = conn.execute(
            text(
                "SELECT tableoid::regclass::text, district_id FROM report_event"
                " WHERE report_id = :id"
            ),
            {"id": body["id"]},
        ).all()
        assert history == [(f"report_event_y{now:%Y}m{now:%m}", where[0][1])]
        audit = conn.execute(
            text(
                "SELECT DISTINCT tableoid::regclass::text, district_id FROM audit_log"
                " WHERE object_type = 'report' AND object_id = :id"
            ),
            {"id": body["id"]},
        ).all()
        assert audit == [(f"audit_log_y{now:%Y}m{now:%m}", where[0][1])]


def test_a_month_without_partition_lands_in_default_and_ensure_leaves_it(owner_conn) -> None:  # type: ignore[no-untyped-def]
    rid = uuid.uuid4()
    assert _one_report(owner_conn, rid, "2001-03-04 05:00+00") == 1
    part = owner_conn.execute(
        text("SELECT tableoid::regclass::text FROM report WHERE id = :id"), {"id": rid}
    ).scalar_one()
    assert part == "report_default"
    owner_conn.execute(text("SELECT wangge_ensure_partitions(2)"))
    assert owner_conn.execute(text("SELECT to_regclass('report_y2001m03')")).scalar() is None
    # the months ahead exist
    ahead = datetime.now(UTC).replace(day=1)
    month = ahead.month + 2
    year, month = ahead.year + (month - 1) // 12, (month - 1) % 12 + 1
    for table in ("report", "report_event", "audit_log"):
        name = f"{table}_y{year}m{month:02d}"
        assert owner_conn.execute(text(f"SELECT to_regclass('{name}')")).scalar() == name


def test_a_period_query_reads_only_that_months_partition(owner_conn) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    plan = "\n".join(
        r[0]
        for r in owner_conn.execute(
            text(
                "EXPLAIN SELECT district_id, count(*) FROM report"
                " WHERE created_at >= :a AND created_at < :a + interval '1 month'"
                " GROUP BY district_id"
            ),
            {"a": start},
        )
    )
    assert f"report_y{now:%Y}m{now:%m}" in plan
    others = [w for w in plan.split() if w.startswith("report_y") and f"{now:%Y}m{now:%m}" not in w]
    assert others == [] and "report_default" not in plan


def test_orphans_duplicate_ids_and_refs_are_refused(owner_engine) -> None:  # type: ignore[no-untyped-def]
    ghost = uuid.uuid4()
    for sql in (
        "INSERT INTO report_event (report_id, to_status) VALUES (:id, 'reported')",
        "INSERT INTO photo (id, report_id, storage_key, content_type, bytes, width, height,"
        " sha256) VALUES (gen_random_uuid(), :id, 'k-' || :id, 'image/png', 1, 1, 1, 'x')",
    ):
        with owner_engine.connect() as conn, pytest.raises(Exception, match="foreign key"):
            conn.execute(text(sql), {"id": ghost})
    with owner_engine.connect() as conn:
        trans = conn.begin()
        rid = uuid.uuid4()
        assert _one_report(conn, rid, "2026-01-05 00:00+00", ref="R-17") == 1
        # the same id in another month is not a second report
        with pytest.raises(Exception, match="report_pkey"), conn.begin_nested():
            _one_report(conn, rid, "2025-11-05 00:00+00")
        assert (
            conn.execute(text("SELECT count(*) FROM report WHERE id = :id"), {"id": rid}).scalar()
            == 1
        )
        # a report still referenced cannot go
        conn.execute(
            text("INSERT INTO report_event (report_id, to_status) VALUES (:id, 'reported')"),
            {"id": rid},
        )
        with pytest.raises(Exception, match="foreign key"), conn.begin_nested():
            conn.execute(text("DELETE FROM report WHERE id = :id"), {"id": rid})
        # a back-dated move to another month keeps the report and its key
        conn.execute(
            text("UPDATE report SET created_at = '2025-12-24 00:00+00' WHERE id = :id"), {"id": rid}
        )
        assert conn.execute(
            text("SELECT created_at FROM report_key WHERE id = :id"), {"id": rid}
        ).scalar() == datetime(2025, 12, 24, tzinfo=UTC)
        # (district, external_ref) stays unique across months
        with pytest.raises(Exception, match="report_key_external_ref_idx"), conn.begin_nested():
            _one_report(conn, uuid.uuid4(), "2025-10-05 00:00+00", ref="R-17")
        trans.rollback()


def test_rls_still_hides_other_districts_rows(demo_db) -> None:  # type: ignore[no-untyped-def]
    with psycopg.connect(demo_db.libpq("app")) as conn:
        _, _, district, *_ = act_as(conn, "district")
        seen = conn.execute("SELECT DISTINCT district_id FROM report").fetchall()
        assert {r[0] for r in seen} <= {district}
        assert (
            conn.execute(
                "SELECT count(*) FROM report_event e WHERE e.district_id <> %s", (district,)
            ).fetchone()[0]
            == 0
        )
        # the monthly partitions themselves are not the app's to read
        now = datetime.now(UTC)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(f"SELECT count(*) FROM report_y{now:%Y}m{now:%m}")


def test_cli_ensure_list_detach(demo_db, client, auth_headers, owner_engine, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    r = _cli(demo_db, monkeypatch, "ensure", "--months", "2")
    assert r.exit_code == 0 and r.output.startswith("created "), r.output
    bad = _cli(demo_db, monkeypatch, "detach", "--before", "2020-13")
    assert bad.exit_code == 2 and bad.output.count("\n") == 1 and "YYYY-MM" in bad.output
    with owner_engine.begin() as conn:
        for table in ("report", "report_event", "audit_log"):
            conn.execute(
                text(
                    f"CREATE TABLE {table}_y2019m12 PARTITION OF {table}"
                    " FOR VALUES FROM ('2019-12-01 00:00+00') TO ('2020-01-01 00:00+00')"
                )
            )
        old, open_ = uuid.uuid4(), uuid.uuid4()
        _one_report(conn, old, "2019-12-10 00:00+00")
        _one_report(conn, open_, "2019-12-11 00:00+00", status="reported")
        conn.execute(
            text(
                "INSERT INTO report_event (report_id, to_status, created_at)"
                " VALUES (:id, 'closed', '2019-12-12 00:00+00')"
            ),
            {"id": old},
        )
    listed = _cli(demo_db, monkeypatch, "list")
    assert "report\t2019-12\tpublic.report_y2019m12" in listed.output, listed.output
    refused = _cli(demo_db, monkeypatch, "detach", "--before", "2020-01")
    assert refused.exit_code == 2 and "1 reports before 2020-01" in refused.output, refused.output
    with owner_engine.begin() as conn:
        conn.execute(text("UPDATE report SET status = 'closed' WHERE id = :id"), {"id": open_})
    done = _cli(demo_db, monkeypatch, "detach", "--before", "2020-01")
    assert done.exit_code == 0, done.output
    with owner_engine.connect() as conn:  # the month left the queue counts and the roll-up
        assert test_case_tally._differences(conn) == []
        assert test_assessment_tally._differences(conn) == []
    assert "wangge_archive.report_y2019m12" in done.output
    assert "wangge_archive.report_event_y2019m12" in done.output
    with owner_engine.connect() as conn:
        assert (
            conn.execute(text("SELECT count(*) FROM report WHERE id = :id"), {"id": old}).scalar()
            == 0
        )
        assert (
            conn.execute(text("SELECT count(*) FROM wangge_archive.report_y2019m12")).scalar() == 2
        )
        # still referable: the key stays
        assert (
            conn.execute(
                text("SELECT count(*) FROM report_key WHERE id = :id"), {"id": old}
            ).scalar()
            == 1
        )
    # the app keeps answering
    for path in ("/api/reports", "/api/cases?queue=accept", "/api/cases/counts"):
        got = client.get(path, headers=auth_headers["district"])
        assert got.status_code == 200, (path, got.text)
    relisted = _cli(demo_db, monkeypatch, "list")
    assert "wangge_archive.report_y2019m12" in relisted.output
