"""POST /api/geometry/validate: the one geometry check, offered to clients before they submit."""

from __future__ import annotations

from typing import Annotated, Any, Literal

import shapely
from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from service.api.deps import SessionDep, SettingsDep, require
from service.api.schemas import StrictModel
from service.db.repositories.geometry_checks import district_boundary
from service.domain.geometry import GeometryRules, parse_geometry
from service.domain.principal import Principal
from service.errors import NotFound

router = APIRouter(prefix="/api/geometry", tags=["geometry"])

GeometryType = Literal[
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon"
]
ALL_TYPES: frozenset[str] = frozenset(
    ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")
)
# Tolerance for digitising noise along the district boundary (~1 m in degrees at 34°N).
BOUNDARY_TOLERANCE_DEG = 1e-5


class GeometryCheck(StrictModel):
    geometry: dict[str, Any] = Field(description="A GeoJSON geometry in WGS84 lon/lat")
    types: list[GeometryType] | None = Field(
        default=None, description="Geometry types the target field takes (default: any)"
    )
    district_code: str | None = Field(
        default=None, pattern=r"^\d{6}$", description="Also require it to lie in this district"
    )


class GeometryVerdict(BaseModel):
    valid: bool
    type: str
    vertices: int
    bounds: list[float]


@router.post("/validate", response_model=GeometryVerdict, summary="Check a GeoJSON geometry")
def validate_geometry(
    body: GeometryCheck,
    session: SessionDep,
    settings: SettingsDep,
    me: Annotated[Principal, Depends(require("geometry:validate"))],
) -> GeometryVerdict:
    within, within_name = None, ""
    if body.district_code:
        found = district_boundary(session, me, body.district_code)
        if found is None:
            raise NotFound(
                f"district {body.district_code} not found",
                message_zh="未找到该区县",
                where={"field": "district_code"},
            )
        within_name, boundary = found
        within = boundary.buffer(BOUNDARY_TOLERANCE_DEG)
    rules = GeometryRules(
        field="geometry",
        types=frozenset(body.types) if body.types else ALL_TYPES,
        max_vertices=settings.limits.max_geometry_vertices,
        within=within,
        within_name=within_name,
    )
    geom = parse_geometry(body.geometry, rules)
    return GeometryVerdict(
        valid=True,
        type=geom.geom_type,
        vertices=int(_count_vertices(geom)),
        bounds=[float(v) for v in geom.bounds],
    )


def _count_vertices(geom: Any) -> int:
    return int(shapely.get_num_coordinates(geom))
