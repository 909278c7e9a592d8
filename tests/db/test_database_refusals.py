"""The database itself refuses bad geometry, with the application bypassed (plain psycopg)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import TestDatabase

SQUARE = "MULTIPOLYGON(((113.60 34.75, 113.70 34.75, 113.70 34.80, 113.60 34.80, 113.60 34.75)))"


@pytest.fixture
def raw(test_db: TestDatabase) -> Iterator[psycopg.Connection]:
    """A bare psycopg connection as the owner; everything is rolled back."""
    with psycopg.connect(test_db.libpq("owner")) as conn:
        yield conn
        conn.rollback()


def _insert_district(conn: psycopg.Connection, wkt: str, srid: int = 4326) -> None:
    with conn.transaction():
        conn.execute(
            "INSERT INTO district (code, name, geom)"
            " VALUES ('999999', 'x', ST_GeomFromText(%s, %s))",
            (wkt, srid),
        )


def test_accepts_a_valid_polygon(raw: psycopg.Connection) -> None:
    _insert_district(raw, SQUARE)
    assert raw.execute("SELECT count(*) FROM district WHERE code = '999999'").fetchone() == (1,)


@pytest.mark.parametrize(
    ("label", "wkt"),
    [
        (
            "self-intersecting bow tie",
            "MULTIPOLYGON(((113.6 34.75, 113.7 34.8, 113.7 34.75, 113.6 34.8, 113.6 34.75)))",
        ),
        (
            "NaN coordinate",
            "MULTIPOLYGON(((113.60 34.75, 113.70 34.75, 113.70 NaN, 113.60 34.80, 113.60 34.75)))",
        ),
        (
            "latitude and longitude swapped",
            "MULTIPOLYGON(((34.75 113.6, 34.75 113.7, 34.8 113.7, 34.8 113.6, 34.75 113.6)))",
        ),
        (
            "outside China (Paris)",
            "MULTIPOLYGON(((2.30 48.85, 2.40 48.85, 2.40 48.90, 2.30 48.90, 2.30 48.85)))",
        ),
        ("empty", "MULTIPOLYGON EMPTY"),
    ],
)
def test_refuses_bad_polygon(raw: psycopg.Connection, label: str, wkt: str) -> None:
    with pytest.raises(psycopg.errors.CheckViolation, match="district_geom_ok"):
        _insert_district(raw, wkt)


def test_refuses_wrong_srid(raw: psycopg.Connection) -> None:
    # Web Mercator metres for the same square: the column's SRID typmod refuses it.
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="SRID"):
        _insert_district(
            raw,
            "MULTIPOLYGON(((12646000 4130000, 12657000 4130000, "
            "12657000 4137000, 12646000 4137000, 12646000 4130000)))",
            3857,
        )


def test_refuses_wrong_geometry_type(raw: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.InvalidParameterValue, match="[Gg]eometry type"):
        _insert_district(raw, "POINT(113.6 34.7)")


@pytest.mark.parametrize(
    ("label", "wkt"),
    [
        ("NaN", "POINT(NaN 34.75)"),
        ("swapped", "POINT(34.75 113.65)"),
        ("null island", "POINT(0 0)"),
    ],
)
def test_report_point_refused(raw: psycopg.Connection, label: str, wkt: str) -> None:
    """A report point is checked the same way as boundaries."""
    assert raw.execute(
        "SELECT wangge_geometry_ok(ST_GeomFromText(%s, 4326))", (wkt,)
    ).fetchone() == (False,)
    with pytest.raises(psycopg.errors.CheckViolation, match="report_geom_ok"), raw.transaction():
        raw.execute(
            "WITH d AS (INSERT INTO district (code, name, geom) VALUES"
            " ('999998', 'x', ST_GeomFromText(%s, 4326)) RETURNING id),"
            " u AS (INSERT INTO app_user (username, password_hash, role)"
            " VALUES ('refusal-test', 'x', 'admin') RETURNING id)"
            " INSERT INTO report (id, geom, category_code, reporter_id, district_id,"
            " department_id, deadline_at)"
            " SELECT gen_random_uuid(), ST_GeomFromText(%s, 4326), 'clutter',"
            " u.id, d.id, 1, now() FROM d, u",
            (SQUARE, wkt),
        )


def test_report_event_is_append_only(raw: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"), raw.transaction():
        raw.execute("DELETE FROM report_event")
