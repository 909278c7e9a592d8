"""小区 records: read in jurisdiction, change with optimistic concurrency, keep the history."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session, aliased

from service.db.jurisdiction import area_clause
from service.db.models import Community, PropertyCompany, ResidentialArea, Street
from service.domain.principal import Principal
from service.domain.records import FIELDS, history_text
from service.errors import OutsideJurisdiction, ValidationFailed, WanggeError


class StaleRecord(WanggeError):
    """The record changed since the version the client read (If-Match)."""

    status_code = 412
    code = "precondition_failed"


STORED = [f.name for f in FIELDS if f.kind != "company"]


def _base(principal: Principal, scope: str) -> Any:
    t, c, s = ResidentialArea, Community, Street
    co = aliased(PropertyCompany, name="co")
    columns = [getattr(t, n) for n in STORED]
    return (
        select(
            t.id,
            t.code,
            t.name,
            t.households,
            t.buildings,
            t.build_year,
            t.version,
            t.updated_at,
            t.property_company_id,
            c.code.label("community_code"),
            c.name.label("community_name"),
            s.code.label("street_code"),
            s.name.label("street_name"),
            co.name.label("property_company"),
            co.credit_grade.label("company_grade"),
            *columns,
        )
        .join(c, c.id == t.community_id)
        .join(s, s.id == c.street_id)
        .outerjoin(co, co.id == t.property_company_id)
        .where(
            area_clause(
                principal,
                scope,
                district_col=s.district_id,
                street_col=s.id,
                community_col=c.id,
            )
        )
    )


def get_record(
    session: Session, principal: Principal, scope: str, code: str, *, lock: bool = False
) -> dict[str, Any]:
    """One 小区's record in the caller's jurisdiction (404 outside it, never confirming)."""
    query = _base(principal, scope).where(ResidentialArea.code == code)
    if lock:
        query = query.with_for_update(of=ResidentialArea)
    row = session.execute(query).mappings().first()
    if row is None:
        raise OutsideJurisdiction(
            f"residential area {code} not found", message_zh="未找到该小区", where={"code": code}
        )
    return dict(row)


def list_records(
    session: Session,
    principal: Principal,
    scope: str,
    *,
    street: str | None = None,
    community: str | None = None,
) -> list[dict[str, Any]]:
    """Every record in the jurisdiction (optionally one street or community), by code."""
    query = _base(principal, scope)
    if street:
        query = query.where(Street.code == street)
    if community:
        query = query.where(Community.code == community)
    return [dict(r) for r in session.execute(query.order_by(ResidentialArea.code)).mappings()]


def company_ids(session: Session, names: set[str]) -> dict[str, int]:
    """Registry ids of the named companies (absent names are left out)."""
    if not names:
        return {}
    rows = session.execute(
        select(PropertyCompany.name, PropertyCompany.id).where(PropertyCompany.name.in_(names))
    )
    return {name: id_ for name, id_ in rows}


def company_names(session: Session) -> list[str]:
    """Every registered company's name (the sheet's drop-down)."""
    return list(
        session.execute(select(PropertyCompany.name).order_by(PropertyCompany.name)).scalars()
    )


def apply_changes(
    session: Session,
    principal: Principal,
    record: dict[str, Any],
    changes: dict[str, Any],
    *,
    expected_version: int | None,
) -> int:
    """Write `changes` (field → new value) and one history row per field; the new version.

    The UPDATE names the version it read, so of two edits made from the same version only the
    first lands; the second gets 412 (StaleRecord) and writes nothing.
    """
    version = int(record["version"])
    if expected_version is not None and expected_version != version:
        raise _stale(record["code"], version)
    if not changes:
        return version
    values = dict(changes)
    if "property_company" in values:
        name = values.pop("property_company")
        ids = company_ids(session, {name} if name else set())
        if name and name not in ids:
            raise ValidationFailed(
                f"property_company: {name!r} is not registered",
                message_zh=f"物业服务企业：“{name[:60]}”未在企业名录中",
                where={"field": "property_company"},
            )
        values["property_company_id"] = ids.get(name) if name else None
    sets = ", ".join(f"{k} = :{k}" for k in values)  # keys from FIELDS, never from input
    updated = session.execute(
        text(
            f"UPDATE residential_area SET {sets}, version = version + 1, updated_at = now()"  # noqa: S608 - columns from FIELDS, values bound
            " WHERE id = :id AND version = :version RETURNING version"
        ),
        {**values, "id": record["id"], "version": version},
    ).scalar()
    if updated is None:
        raise _stale(record["code"], version)
    session.execute(
        text(
            "INSERT INTO residential_area_change"
            " (residential_area_id, attribute, old_value, new_value, changed_by)"
            " VALUES (:id, :attribute, :old, :new, :by)"
        ),
        [
            {
                "id": record["id"],
                "attribute": name,
                "old": history_text(name, record.get(name)),
                "new": history_text(name, new),
                "by": principal.id,
            }
            for name, new in changes.items()
        ],
    )
    return int(updated)


def _stale(code: str, version: int) -> StaleRecord:
    return StaleRecord(
        f"residential area {code} has changed (now version {version}); reload and edit again",
        message_zh="该小区记录已被他人修改，请刷新后重新编辑",
        where={"code": code, "version": version},
    )


def history(session: Session, area_id: int, limit: int = 200) -> list[dict[str, Any]]:
    """The attribute history of one 小区, newest first, with who made each change."""
    rows = session.execute(
        text(
            "SELECT h.attribute, h.old_value, h.new_value, h.changed_at,"
            " coalesce(nullif(u.display_name, ''), u.username) AS changed_by"
            " FROM residential_area_change h LEFT JOIN app_user u ON u.id = h.changed_by"
            " WHERE h.residential_area_id = :id ORDER BY h.changed_at DESC, h.id DESC LIMIT :n"
        ),
        {"id": area_id, "n": limit},
    ).mappings()
    return [dict(r) for r in rows]
