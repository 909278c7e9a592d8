# ruff: noqa: S608  (the SQL is assembled from constants here; every value is bound)
"""The benchmark's baseline (b): the same filing with cell, 小区, community and street each
resolved by its own query, then the INSERTs. Served by the same app for a fair comparison."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI
from sqlalchemy import text

from service.api.deps import SessionDep, require
from service.api.report_schemas import ReportCreate, ReportPublic, report_public
from service.db.repositories.reports import get_report
from service.domain.field_input import content_hash
from service.domain.principal import Principal
from service.errors import OutsideArea
from service.main import create_app

router = APIRouter()
POINT = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"
LOOKUPS = {
    "grid_cell_id": f"SELECT id FROM grid_cell WHERE is_active AND ST_Intersects(geom, {POINT})"
    " ORDER BY id LIMIT 1",
    "residential_area_id": f"SELECT id FROM residential_area WHERE ST_Intersects(geom, {POINT})"
    " ORDER BY id LIMIT 1",
    "community_id": f"SELECT id FROM community WHERE ST_Intersects(geom, {POINT}) LIMIT 1",
    "street_id": f"SELECT id FROM street WHERE ST_Intersects(geom, {POINT}) LIMIT 1",
}


@router.post("/bench/naive-reports", status_code=201, response_model=ReportPublic)
def file_naively(
    body: ReportCreate,
    session: SessionDep,
    me: Annotated[Principal, Depends(require("report:create"))],
) -> ReportPublic:
    lon, lat = body.location.coordinates
    at = {"lon": lon, "lat": lat}
    ids = {name: session.scalar(text(sql), at) for name, sql in LOOKUPS.items()}
    # like the product: the street gives the district (the district polygon is not tested)
    district = session.scalar(
        text("SELECT district_id FROM street WHERE id = :s AND district_id = :d"),
        {"s": ids["street_id"], "d": me.district_id},
    )
    if district is None:
        raise OutsideArea("outside the district")
    dept, hours = session.execute(
        text("SELECT department_id, deadline_hours FROM event_category WHERE code = :c"),
        {"c": body.category},
    ).one()
    session.execute(
        text(
            "INSERT INTO report (id, geom, accuracy_m, coordinate_system, placed_by_hand,"
            " category_code, description, reporter_id, grid_cell_id, residential_area_id,"
            " community_id, street_id, district_id, department_id, deadline_at, content_hash)"
            f" VALUES (:id, {POINT}, :acc, :crs, :hand, :cat, :descr, :me, :grid_cell_id,"
            " :residential_area_id, :community_id, :street_id, :district, :dept,"
            " now() + :hours * interval '1 hour', :hash)"
        ),
        {
            **at,
            **ids,
            "id": body.id,
            "acc": body.accuracy_m,
            "crs": body.crs,
            "hand": body.placed_by_hand,
            "cat": body.category,
            "descr": body.description,
            "me": me.id,
            "district": district,
            "dept": dept,
            "hours": hours,
            "hash": content_hash(body.model_dump(mode="json")),
        },
    )
    session.execute(
        text(
            "INSERT INTO report_event (report_id, to_status, actor_id, street_id, district_id)"
            " VALUES (:id, 'reported', :me, :street_id, :district)"
        ),
        {"id": body.id, "me": me.id, "street_id": ids["street_id"], "district": district},
    )
    row = get_report(session, body.id, me, "self")
    assert row is not None
    return report_public(row)


def create_bench_app() -> FastAPI:
    """The product app plus the naive filing route (benchmark only)."""
    app = create_app()
    app.include_router(router)
    return app
