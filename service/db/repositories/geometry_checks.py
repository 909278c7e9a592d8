"""Boundaries a geometry check may be asked to lie within (the caller's own district only)."""

from __future__ import annotations

from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.jurisdiction import area_clause
from service.db.models import District
from service.domain.principal import Principal


def district_boundary(
    session: Session, principal: Principal, code: str
) -> tuple[str, BaseGeometry] | None:
    """(name, polygon) of district `code` if it is the caller's, else None (→ 404)."""
    row = session.execute(
        select(District.name, District.geom).where(
            District.code == code,
            area_clause(principal, "district", district_col=District.id),
        )
    ).first()
    if row is None:
        return None
    return row.name, to_shape(row.geom)
