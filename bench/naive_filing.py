# ruff: noqa: S608  (the SQL is assembled from constants here; every value is bound)
"""The benchmark's baselines (b): the same filing with cell, 小区, community and street each
resolved by its own query, then the INSERTs, served by the same app:

- /bench/naive-reports: written the ordinary way of this app (sync route, SQLAlchemy session,
  `require()`), the way the product filed before it moved to one statement;
- /bench/naive-lean-reports: the same queries on the product's own lean path (async route, the
  raw psycopg pool, one transaction), so the difference to the product is the statements alone.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from sqlalchemy import text

from service.api.deps import SessionDep, require, require_in_statement
from service.api.report_schemas import ReportCreate, ReportPublic, report_public
from service.db.repositories.reports import REPORT_VIEW, get_report
from service.domain.field_input import content_hash
from service.domain.principal import Caller, Principal
from service.errors import NotAuthenticated, OutsideArea
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


def _psycopg(sql: str) -> str:
    return sql.replace(":lon", "%(lon)s").replace(":lat", "%(lat)s")


INSERT_REPORT = (
    "INSERT INTO report (id, geom, accuracy_m, coordinate_system, placed_by_hand,"
    " category_code, description, reporter_id, grid_cell_id, residential_area_id,"
    " community_id, street_id, district_id, department_id, deadline_at, content_hash)"
    f" VALUES (%(id)s, {_psycopg(POINT)}, %(acc)s, %(crs)s, %(hand)s, %(cat)s, %(descr)s,"
    " %(me)s, %(grid_cell_id)s, %(residential_area_id)s, %(community_id)s, %(street_id)s,"
    " %(district)s, %(dept)s, now() + %(hours)s * interval '1 hour', %(hash)s)"
)


@router.post("/bench/naive-lean-reports", status_code=201, response_model=ReportPublic)
async def file_naively_on_the_lean_path(
    body: ReportCreate,
    request: Request,
    caller: Annotated[Caller, Depends(require_in_statement("report:create"))],
) -> Response:
    lon, lat = body.location.coordinates
    at = {"lon": lon, "lat": lat}
    async with request.app.state.async_pool.connection() as conn, conn.transaction():
        me = await (
            await conn.execute("SELECT * FROM wangge_authenticate(%s)", (caller.digest,))
        ).fetchone()
        if me is None:
            raise NotAuthenticated("invalid or expired token")
        ids = {}
        for name, sql in LOOKUPS.items():
            found = await (await conn.execute(_psycopg(sql), at)).fetchone()
            ids[name] = found["id"] if found else None
        district = await (
            await conn.execute(
                "SELECT district_id FROM street WHERE id = %s AND district_id = %s",
                (ids["street_id"], me["district_id"]),
            )
        ).fetchone()
        if district is None:
            raise OutsideArea("outside the district")
        cat = await (
            await conn.execute(
                "SELECT department_id, deadline_hours FROM event_category WHERE code = %s",
                (body.category,),
            )
        ).fetchone()
        values = {
            **at,
            **ids,
            "id": body.id,
            "acc": body.accuracy_m,
            "crs": body.crs,
            "hand": body.placed_by_hand,
            "cat": body.category,
            "descr": body.description,
            "me": me["id"],
            "district": district["district_id"],
            "dept": cat["department_id"],  # type: ignore[index]
            "hours": cat["deadline_hours"],  # type: ignore[index]
            "hash": content_hash(body.model_dump(mode="json")),
        }
        await conn.execute(INSERT_REPORT, values)
        await conn.execute(
            "INSERT INTO report_event (report_id, to_status, actor_id, street_id, district_id)"
            " VALUES (%(id)s, 'reported', %(me)s, %(street_id)s, %(district)s)",
            values,
        )
        await conn.execute(
            "INSERT INTO audit_log (user_id, username, action, method, path, object_type,"
            " object_id, client_addr) VALUES (%s, %s, %s, 'POST', %s, 'report', %s, %s)",
            (
                me["id"],
                me["username"],
                caller.action,
                caller.path,
                str(body.id),
                caller.client_addr,
            ),
        )
        row = await (await conn.execute(f"{REPORT_VIEW} WHERE r.id = %s", (body.id,))).fetchone()
    return Response(report_public(row).model_dump_json(), 201, media_type="application/json")  # type: ignore[arg-type]


def create_bench_app() -> FastAPI:
    """The product app plus the naive filing route (benchmark only)."""
    app = create_app()
    app.include_router(router)
    return app
