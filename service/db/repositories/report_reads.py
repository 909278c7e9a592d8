"""Read-only report queries, always under the caller's jurisdiction (404 / absent outside it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from geoalchemy2 import functions as gf
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from service.db.jurisdiction import area_clause
from service.db.models import Report
from service.domain.principal import Principal
from service.errors import OutsideJurisdiction


@dataclass(frozen=True)
class ReportFilter:
    bbox: tuple[float, float, float, float] | None = None
    status: str | None = None
    limit: int = 100
    offset: int = 0


def report_area_clause(principal: Principal, scope: str) -> ColumnElement[bool]:
    """The jurisdiction filter for the report table (shared by lists, tiles, exports)."""
    return area_clause(
        principal,
        scope,
        district_col=Report.district_id,
        street_col=Report.street_id,
        community_col=Report.community_id,
        department_col=Report.department_id,
        owner_col=Report.reporter_id,
    )


_COLUMNS = (
    Report.id,
    Report.status,
    Report.category_code,
    Report.description,
    gf.ST_X(Report.geom).label("lon"),
    gf.ST_Y(Report.geom).label("lat"),
    Report.district_id,
    Report.street_id,
    Report.community_id,
    Report.grid_cell_id,
    Report.department_id,
    Report.reporter_id,
    Report.deadline_at,
    Report.created_at,
)


def get_report(
    session: Session, principal: Principal, scope: str, report_id: uuid.UUID
) -> dict[str, Any]:
    """One report, or 404 when it does not exist or lies outside the jurisdiction."""
    row = (
        session.execute(
            select(*_COLUMNS).where(Report.id == report_id, report_area_clause(principal, scope))
        )
        .mappings()
        .first()
    )
    if row is None:
        raise OutsideJurisdiction(
            "no such report", message_zh="事件不存在", where={"id": str(report_id)}
        )
    return dict(row)


def list_reports(
    session: Session, principal: Principal, scope: str, flt: ReportFilter
) -> list[dict[str, Any]]:
    """Reports in the jurisdiction, newest first, optionally inside a WGS84 bbox."""
    stmt = select(*_COLUMNS).where(report_area_clause(principal, scope))
    if flt.bbox is not None:
        stmt = stmt.where(Report.geom.intersects(gf.ST_MakeEnvelope(*flt.bbox, 4326)))
    if flt.status is not None:
        stmt = stmt.where(Report.status == flt.status)
    stmt = stmt.order_by(Report.created_at.desc(), Report.id).limit(flt.limit).offset(flt.offset)
    return [dict(r) for r in session.execute(stmt).mappings()]
