"""Grid-cell imports keep DOMAIN.md's coverage rules and never reuse a retired code.

A territory of our own (district 419807, far from every other test's places) is written inside
the owner connection's transaction and rolled back after each test.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from sqlalchemy import Connection, text
from sqlalchemy.orm import Session

from service.domain.principal import Principal
from service.errors import ValidationFailed
from service.services.boundary_import import run_import

ADMIN = Principal(
    id=0, username="t", role="admin", district_id=None, street_id=None, community_id=None
)
COMMUNITY = "419807001001"
CELL_W, CELL_E, RETIRED = COMMUNITY + "001", COMMUNITY + "002", COMMUNITY + "003"
AREA = COMMUNITY + "R001"


def box(x1: float, y1: float, x2: float, y2: float) -> str:
    return f"MULTIPOLYGON((({x1} {y1},{x2} {y1},{x2} {y2},{x1} {y2},{x1} {y1})))"


def _insert(conn: Connection, sql: str, **params: object) -> None:
    conn.execute(text(sql), params)


@pytest.fixture
def session(owner_conn: Connection) -> Session:
    """Community 419807001001 (120.50–120.52 E, 40.50–40.52 N) in two cells, a 小区 in the
    western one, and a retired cell 003 kept for history."""
    g = "ST_GeomFromText(:g, 4326)"
    _insert(
        owner_conn,
        f"INSERT INTO district (code, name, geom) VALUES ('419807', '测区', {g})",
        g=box(120.49, 40.49, 120.53, 40.53),
    )
    _insert(
        owner_conn,
        "INSERT INTO street (code, name, district_id, geom) SELECT '419807001',"
        f" '测街', id, {g} FROM district WHERE code = '419807'",
        g=box(120.49, 40.49, 120.53, 40.53),
    )
    _insert(
        owner_conn,
        "INSERT INTO community (code, name, street_id, geom) SELECT :c, '测社区',"
        f" id, {g} FROM street WHERE code = '419807001'",
        c=COMMUNITY,
        g=box(120.50, 40.50, 120.52, 40.52),
    )
    cells = [
        (CELL_W, box(120.50, 40.50, 120.51, 40.52), True),
        (CELL_E, box(120.51, 40.50, 120.52, 40.52), True),
        (RETIRED, box(120.51, 40.50, 120.52, 40.51), False),
    ]
    for code, wkt, active in cells:
        _insert(
            owner_conn,
            "INSERT INTO grid_cell (code, community_id, geom, households,"
            f" is_active, retired_at) SELECT :c, id, {g}, 300, :a,"
            " CASE WHEN :a THEN NULL ELSE now() END FROM community WHERE code = :p",
            c=code,
            g=wkt,
            a=active,
            p=COMMUNITY,
        )
    _insert(
        owner_conn,
        "INSERT INTO residential_area (code, name, community_id, geom, households,"
        f" buildings) SELECT :c, '测试小区', id, {g}, 200, 3 FROM community WHERE code = :p",
        c=AREA,
        g=box(120.501, 40.501, 120.505, 40.505),
        p=COMMUNITY,
    )
    return Session(bind=owner_conn)


def _file(tmp_path: Path, *cells: tuple[str, str] | tuple[str, str, dict]) -> Path:
    features = []
    for code, wkt, *extra in cells:
        props = {"code": code, "households": 300, **(extra[0] if extra else {})}
        geom = json.loads(shapely.to_geojson(shapely.from_wkt(wkt)))
        features.append({"type": "Feature", "properties": props, "geometry": geom})
    path = tmp_path / "cells.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def _run(session: Session, path: Path, tmp_path: Path, apply: bool = False) -> dict:
    return run_import(session, "grid_cells", path, ADMIN, "all", apply=apply, workdir=tmp_path)


def _geom_of(session: Session, code: str) -> str:
    return session.execute(
        text("SELECT ST_AsText(geom) FROM grid_cell WHERE code = :c"), {"c": code}
    ).scalar_one()


def _refused(report: dict) -> dict[str, dict]:
    return {f["code"]: f for f in report["features"] if f["action"] == "refused"}


def _assert_apply_refused(session: Session, path: Path, tmp_path: Path) -> None:
    before = {c: _geom_of(session, c) for c in (CELL_W, CELL_E)}
    count = session.execute(text("SELECT count(*) FROM grid_cell")).scalar_one()
    with pytest.raises(ValidationFailed) as exc:
        _run(session, path, tmp_path, apply=True)
    assert exc.value.where and exc.value.where["refused"]
    assert {c: _geom_of(session, c) for c in (CELL_W, CELL_E)} == before
    assert session.execute(text("SELECT count(*) FROM grid_cell")).scalar_one() == count


def test_shrinking_a_cell_leaves_a_gap_and_is_refused(session: Session, tmp_path: Path) -> None:
    path = _file(tmp_path, (CELL_E, box(120.51, 40.50, 120.519, 40.52)))
    report = _run(session, path, tmp_path)
    refused = _refused(report)
    assert list(refused) == [CELL_E] and report["counts"]["refused"] == 1
    assert any(f"community {COMMUNITY} in no grid cell" in r for r in refused[CELL_E]["reasons"])
    assert any("社区内有区域不属于任何网格" in r for r in refused[CELL_E]["reasons"])
    lon, lat = refused[CELL_E]["location"]
    assert 120.519 < lon < 120.52 and 40.50 < lat < 40.52  # inside the strip left uncovered
    assert (
        _geom_of(session, CELL_E)
        == "MULTIPOLYGON(((120.51 40.5,120.52 40.5,120.52 40.52,120.51 40.52,120.51 40.5)))"
    )
    _assert_apply_refused(session, path, tmp_path)


def test_moving_a_border_through_a_residential_area_is_refused(
    session: Session, tmp_path: Path
) -> None:
    path = _file(
        tmp_path,
        (CELL_W, box(120.50, 40.50, 120.503, 40.52)),
        (CELL_E, box(120.503, 40.50, 120.52, 40.52)),
    )
    report = _run(session, path, tmp_path)
    refused = _refused(report)
    assert set(refused) == {CELL_W, CELL_E}
    for code in (CELL_W, CELL_E):
        reasons = " ".join(refused[code]["reasons"])
        assert (
            f"splits 小区 {AREA} across cells {CELL_W}, {CELL_E} without a split record" in reasons
        )
        assert "小区跨多个网格但没有拆分记录" in reasons
        lon, lat = refused[code]["location"]
        assert 120.501 <= lon <= 120.505 and 40.501 <= lat <= 40.505  # in the 小区
    assert report["warnings"] == []
    _assert_apply_refused(session, path, tmp_path)


def test_a_recorded_split_is_accepted(session: Session, tmp_path: Path) -> None:
    for cell in (CELL_W, CELL_E):
        _insert(
            session.connection(),
            "INSERT INTO residential_area_split (residential_area_id,"
            " cell_id, households) SELECT r.id, g.id, 100 FROM residential_area r, grid_cell g"
            " WHERE r.code = :r AND g.code = :g",
            r=AREA,
            g=cell,
        )
    path = _file(
        tmp_path,
        (CELL_W, box(120.50, 40.50, 120.503, 40.52)),
        (CELL_E, box(120.503, 40.50, 120.52, 40.52)),
    )
    report = _run(session, path, tmp_path, apply=True)
    assert report["counts"]["changed"] == 2 and report["counts"]["refused"] == 0
    assert report["applied"] and "120.503" in _geom_of(session, CELL_E)


def test_a_retired_code_is_refused_not_a_server_error(session: Session, tmp_path: Path) -> None:
    # bring cell 003 back where it was, shrinking 002 to make room: no overlap
    path = _file(
        tmp_path,
        (CELL_E, box(120.51, 40.51, 120.52, 40.52)),
        (RETIRED, box(120.51, 40.50, 120.52, 40.51)),
    )
    report = _run(session, path, tmp_path)
    refused = _refused(report)
    assert set(refused) == {RETIRED, CELL_E}  # 002 alone would leave a gap
    assert refused[RETIRED]["reasons"] == [
        f"code {RETIRED} belongs to a retired grid cell and is never reused"
        f" (网格编码 {RETIRED} 已退役，不得复用)"
    ]
    assert refused[RETIRED]["location"] == pytest.approx([120.515, 40.505])
    _assert_apply_refused(session, path, tmp_path)
    assert (
        session.execute(
            text("SELECT is_active FROM grid_cell WHERE code = :c"), {"c": RETIRED}
        ).scalar_one()
        is False
    )


def test_exported_history_comes_back_unchanged(session: Session, tmp_path: Path) -> None:
    path = _file(
        tmp_path,
        (CELL_W, box(120.50, 40.50, 120.51, 40.52), {"status": "active"}),
        (RETIRED, box(120.51, 40.50, 120.52, 40.51), {"status": "retired"}),
    )
    report = _run(session, path, tmp_path, apply=True)
    assert report["counts"] == {"added": 0, "changed": 0, "unchanged": 2, "refused": 0}
    moved = _file(tmp_path, (RETIRED, box(120.51, 40.50, 120.52, 40.505), {"status": "retired"}))
    assert "kept for history" in _refused(_run(session, moved, tmp_path))[RETIRED]["reasons"][0]
    retire = _file(tmp_path, (CELL_W, box(120.50, 40.50, 120.51, 40.52), {"status": "retired"}))
    assert "cannot retire" in _refused(_run(session, retire, tmp_path))[CELL_W]["reasons"][0]


def test_a_gap_already_there_warns_but_does_not_block(session: Session, tmp_path: Path) -> None:
    # the eastern cell misses a strip in the south and one in the north: two gaps
    session.execute(
        text("UPDATE grid_cell SET geom = ST_GeomFromText(:g, 4326) WHERE code = :c"),
        {"g": box(120.51, 40.501, 120.52, 40.519), "c": CELL_E},
    )
    path = _file(tmp_path, (CELL_E, box(120.51, 40.50, 120.52, 40.519)))  # fixes the south one
    report = _run(session, path, tmp_path, apply=True)
    assert report["applied"] and report["counts"]["changed"] == 1, report
    assert [(w["kind"], w["community"]) for w in report["warnings"]] == [("gap", COMMUNITY)]
    lon, lat = report["warnings"][0]["location"]
    assert 40.519 < lat < 40.52 and 120.51 < lon < 120.52
    assert "导入前已存在" in report["warnings"][0]["reason_zh"]
