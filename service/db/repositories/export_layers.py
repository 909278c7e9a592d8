"""The SELECT behind every exported / OGC layer, with jurisdiction, area, bbox, time, status."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Select,
    Text,
    and_,
    case,
    cast,
    func,
    select,
    true,
)
from sqlalchemy.orm import aliased

from service.db.jurisdiction import area_clause
from service.db.models import (
    AppUser,
    Community,
    District,
    EventCategory,
    GridCell,
    Patrol,
    PropertyCompany,
    Report,
    ResidentialArea,
    Street,
)
from service.domain.export_formats import LAYERS
from service.domain.principal import Principal
from service.domain.records import (
    OWNERS_COMMITTEE_STATUS_ZH,
    PARTY_ORG_STATUS_ZH,
    PROPERTY_SERVICE_MODE_ZH,
    RENOVATION_STATUS_ZH,
)


@dataclass(frozen=True)
class ExportFilter:
    """What the caller asked for; every part optional."""

    area: str | None = None  # a street (9 digits) or community (12 digits) code
    bbox: tuple[float, float, float, float] | None = None
    since: datetime | None = None
    until: datetime | None = None
    statuses: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayerQuery:
    columns: dict[str, Any]  # output name -> SQL expression, in LAYERS order
    geom: Any
    base: Select[Any]  # FROM + joins, no columns yet
    area: dict[str, Any]  # keyword arguments for area_clause
    street_code: Any
    community_code: Any
    feature_id: Any
    time: Any = None
    status: Any = None


def _streets() -> LayerQuery:
    t, d = aliased(Street, name="t"), aliased(District, name="d")
    return LayerQuery(
        columns={"code": t.code, "name": t.name, "district_code": d.code},
        geom=t.geom,
        base=select().select_from(t).join(d, d.id == t.district_id),
        area={"district_col": t.district_id, "street_col": t.id},
        street_code=t.code,
        community_code=None,
        feature_id=t.code,
    )


def _communities() -> LayerQuery:
    t, s = aliased(Community, name="t"), aliased(Street, name="s")
    return LayerQuery(
        columns={"code": t.code, "name": t.name, "street_code": s.code},
        geom=t.geom,
        base=select().select_from(t).join(s, s.id == t.street_id),
        area={"district_col": s.district_id, "street_col": t.street_id, "community_col": t.id},
        street_code=s.code,
        community_code=t.code,
        feature_id=t.code,
    )


def _record_columns(t: Any, co: Any) -> dict[str, Any]:
    """The kept record beyond the facts: company, officer, committee, renovation, fund, note."""

    def zh(labels: dict[str, str], col: Any) -> Any:
        return case(labels, value=col, else_=col)

    return {
        "property_service_mode_zh": zh(PROPERTY_SERVICE_MODE_ZH, t.property_service_mode),
        "property_company": co.name,
        "company_grade": co.credit_grade,
        "property_officer_name": t.property_officer_name,
        "property_officer_phone": t.property_officer_phone,
        "owners_committee_status_zh": zh(OWNERS_COMMITTEE_STATUS_ZH, t.owners_committee_status),
        "owners_committee_registered_on": cast(t.owners_committee_registered_on, Text),
        "owners_committee_term_end": cast(t.owners_committee_term_end, Text),
        "owners_committee_members": t.owners_committee_members,
        "owners_committee_party_share": cast(t.owners_committee_party_share, Float),
        "party_org_status_zh": zh(PARTY_ORG_STATUS_ZH, t.party_org_status),
        "renovation_eligible": t.renovation_eligible,
        "renovation_status_zh": zh(RENOVATION_STATUS_ZH, t.renovation_status),
        "renovation_planned_year": t.renovation_planned_year,
        "renovation_items": func.array_to_string(t.renovation_items, ","),
        "maintenance_fund_ratio": cast(t.maintenance_fund_ratio, Float),
        "note": t.note,
        "version": t.version,
    }


def _residential_areas() -> LayerQuery:
    t, c = aliased(ResidentialArea, name="t"), aliased(Community, name="c")
    s = aliased(Street, name="s")
    co = aliased(PropertyCompany, name="co")
    return LayerQuery(
        columns={
            "code": t.code,
            "name": t.name,
            "community_code": c.code,
            "households": t.households,
            "buildings": t.buildings,
            "build_year": t.build_year,
            "property_service_mode": t.property_service_mode,
            "owners_committee_status": t.owners_committee_status,
            "party_org_status": t.party_org_status,
            "renovation_status": t.renovation_status,
            "has_property_office": t.has_property_office,
            **_record_columns(t, co),
        },
        geom=t.geom,
        base=select()
        .select_from(t)
        .join(c, c.id == t.community_id)
        .join(s, s.id == c.street_id)
        .outerjoin(co, co.id == t.property_company_id),
        area={"district_col": s.district_id, "street_col": s.id, "community_col": c.id},
        street_code=s.code,
        community_code=c.code,
        feature_id=t.code,
        time=t.updated_at,
    )


def _grid_cells() -> LayerQuery:
    t, c = aliased(GridCell, name="t"), aliased(Community, name="c")
    s = aliased(Street, name="s")
    status = case((t.is_active, "active"), else_="retired")
    return LayerQuery(
        columns={
            "code": t.code,
            "community_code": c.code,
            "households": t.households,
            "status": status,
        },
        geom=t.geom,
        base=select().select_from(t).join(c, c.id == t.community_id).join(s, s.id == c.street_id),
        area={"district_col": s.district_id, "street_col": s.id, "community_col": c.id},
        street_code=s.code,
        community_code=c.code,
        feature_id=t.code,
        time=t.created_at,
        status=status,
    )


def _reports() -> LayerQuery:
    t, cat = aliased(Report, name="t"), aliased(EventCategory, name="cat")
    g, c = aliased(GridCell, name="g"), aliased(Community, name="c")
    s = aliased(Street, name="s")
    return LayerQuery(
        columns={
            "id": cast(t.id, Text),
            "category_code": t.category_code,
            "category_name": cat.name_zh,
            "description": t.description,
            "status": t.status,
            "grid_code": g.code,
            "community_code": c.code,
            "street_code": s.code,
            "accuracy_m": t.accuracy_m,
            "created_at": t.created_at,
            "deadline_at": t.deadline_at,
            "closed_at": t.closed_at,
        },
        geom=t.geom,
        base=select()
        .select_from(t)
        .join(cat, cat.code == t.category_code)
        .outerjoin(g, g.id == t.grid_cell_id)
        .outerjoin(c, c.id == t.community_id)
        .outerjoin(s, s.id == t.street_id),
        area={
            "district_col": t.district_id,
            "street_col": t.street_id,
            "community_col": t.community_id,
            "department_col": t.department_id,
            "owner_col": t.reporter_id,
        },
        street_code=s.code,
        community_code=c.code,
        feature_id=t.id,
        time=t.created_at,
        status=t.status,
    )


def _patrols() -> LayerQuery:
    t, u = aliased(Patrol, name="t"), aliased(AppUser, name="u")
    g, c = aliased(GridCell, name="g"), aliased(Community, name="c")
    s = aliased(Street, name="s")
    status = case((t.ended_at.is_(None), "open"), else_="ended")
    return LayerQuery(
        columns={
            "id": cast(t.id, Text),
            "worker": u.username,
            "grid_code": g.code,
            "community_code": c.code,
            "started_at": t.started_at,
            "ended_at": t.ended_at,
            "note": t.note,
            "status": status,
        },
        geom=t.geom,
        base=select()
        .select_from(t)
        .join(u, u.id == t.worker_id)
        .outerjoin(g, g.id == t.grid_cell_id)
        .outerjoin(c, c.id == t.community_id)
        .outerjoin(s, s.id == t.street_id),
        area={
            "district_col": t.district_id,
            "street_col": t.street_id,
            "community_col": t.community_id,
            "owner_col": t.worker_id,
        },
        street_code=s.code,
        community_code=c.code,
        feature_id=t.id,
        time=t.started_at,
        status=status,
    )


BUILDERS: dict[str, Callable[[], LayerQuery]] = {
    "streets": _streets,
    "communities": _communities,
    "residential_areas": _residential_areas,
    "grid_cells": _grid_cells,
    "reports": _reports,
    "patrols": _patrols,
}


def layer_query(layer: str) -> LayerQuery:
    """The query parts of a layer named in LAYERS (KeyError otherwise)."""
    return BUILDERS[layer]()


def _area_filter(q: LayerQuery, code: str) -> ColumnElement[bool]:
    if len(code) == 12:
        if q.community_code is not None:
            return q.community_code == code  # type: ignore[no-any-return]
        return q.street_code == code[:9]  # type: ignore[no-any-return]
    return q.street_code == code  # type: ignore[no-any-return]


def where_clause(
    q: LayerQuery, principal: Principal, scope: str, flt: ExportFilter
) -> ColumnElement[bool]:
    """Jurisdiction AND the caller's filters."""
    parts: list[ColumnElement[bool]] = [area_clause(principal, scope, **q.area)]
    if flt.area:
        parts.append(_area_filter(q, flt.area))
    if flt.bbox:
        env = func.ST_MakeEnvelope(*flt.bbox, 4326)
        parts.append(func.ST_Intersects(q.geom, env))
    if flt.since and q.time is not None:
        parts.append(q.time >= flt.since)
    if flt.until and q.time is not None:
        parts.append(q.time < flt.until)
    if flt.statuses and q.status is not None:
        parts.append(q.status.in_(flt.statuses))
    return and_(true(), *parts)


def geometry_out(q: LayerQuery, kind: str) -> Any:
    """The geometry as PostGIS writes it: RFC 7946 GeoJSON, WKT or WKB; outer rings CCW."""
    g = func.ST_ForcePolygonCCW(q.geom)
    if kind == "geojson":
        return func.ST_AsGeoJSON(g, 7)
    if kind == "wkt":
        return func.ST_AsText(g)
    return func.ST_AsBinary(g)


def export_select(
    layer: str, principal: Principal, scope: str, flt: ExportFilter, geom_kind: str
) -> Select[Any]:
    """SELECT fields..., geometry for one layer; unordered so the cursor starts at once."""
    q = layer_query(layer)
    names = [f.name for f in LAYERS[layer].fields]
    cols = [q.columns[n].label(n) for n in names]
    cols.append(geometry_out(q, geom_kind).label("geometry"))
    return q.base.add_columns(*cols).where(where_clause(q, principal, scope, flt))


def geojson_select(
    layer: str,
    principal: Principal,
    scope: str,
    flt: ExportFilter,
    q: LayerQuery | None = None,
) -> Select[Any]:
    """SELECT id, properties as JSON text, geometry as GeoJSON text — PostGIS does the work."""
    q = q or layer_query(layer)
    names = [f.name for f in LAYERS[layer].fields]
    props = func.json_build_object(*[x for n in names for x in (n, q.columns[n])])
    return q.base.add_columns(
        cast(q.feature_id, Text).label("fid"),
        cast(props, Text).label("properties"),
        geometry_out(q, "geojson").label("geometry"),
    ).where(where_clause(q, principal, scope, flt))


def feature_text_select(
    layer: str, principal: Principal, scope: str, flt: ExportFilter, *, separator: str = ""
) -> Select[Any]:
    """SELECT one ready GeoJSON Feature text per row, assembled by PostgreSQL (WGS84 only).

    `separator` goes before every feature (the streamed export puts the commas there).
    """
    q = layer_query(layer)
    names = [f.name for f in LAYERS[layer].fields]
    props = func.json_build_object(*[x for n in names for x in (n, q.columns[n])])
    feature = func.concat(
        separator + '{"type":"Feature","id":',
        cast(func.to_json(cast(q.feature_id, Text)), Text),
        ',"geometry":',
        func.coalesce(geometry_out(q, "geojson"), "null"),
        ',"properties":',
        cast(props, Text),
        "}",
    )
    return q.base.add_columns(feature.label("feature")).where(
        where_clause(q, principal, scope, flt)
    )
