"""小区 records: read, edit with If-Match/ETag, history (thin handlers)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import Field

from service.api.deps import SessionDep, SettingsDep, audit_note, require
from service.api.schemas import StrictModel
from service.db.repositories import records as repo
from service.domain.principal import Principal
from service.domain.record_changes import plan_changes
from service.domain.record_flags import FLAG_ZH, flags_of, rules_from
from service.domain.records import BY_NAME, FIELDS, display
from service.errors import ValidationFailed, WanggeError
from service.settings import Settings

router = APIRouter(prefix="/api/residential-areas", tags=["residential areas"])
Reader = Annotated[Principal, Depends(require("residential_area:read"))]
Editor = Annotated[Principal, Depends(require("residential_area:edit"))]
CODE = r"^[0-9]{12}R[0-9]{3}$"
CodePath = Annotated[str, Path(pattern=CODE)]
Scalar = str | int | float | bool | None


class PreconditionRequired(WanggeError):
    status_code = 428
    code = "precondition_required"


class RecordUpdate(StrictModel):
    """Any subset of the editable fields; values as codes or as their Chinese labels."""

    property_service_mode: Scalar = None
    property_company: Scalar = None
    property_officer_name: Scalar = None
    property_officer_phone: Scalar = None
    owners_committee_status: Scalar = None
    owners_committee_registered_on: Scalar = None
    owners_committee_term_end: Scalar = None
    owners_committee_members: Scalar = None
    owners_committee_party_share: Scalar = None
    party_org_status: Scalar = None
    renovation_eligible: Scalar = None
    renovation_status: Scalar = None
    renovation_planned_year: Scalar = None
    renovation_items: list[Annotated[str, Field(max_length=40)]] | str | None = None
    has_property_office: Scalar = None
    maintenance_fund_ratio: Scalar = None
    note: Annotated[str, Field(max_length=4000)] | None = None


def _today(settings: Settings) -> date:
    return settings.policy.reference_date or date.today()


def record_view(record: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """The record as the API answers it: values, their Chinese labels and the flags."""
    flags = flags_of(
        record,
        rules_from(settings.records, settings.policy.renovation_cutoff_year),
        _today(settings),
    )
    out = {
        k: record[k]
        for k in (
            "code",
            "name",
            "community_code",
            "community_name",
            "street_code",
            "street_name",
            "households",
            "buildings",
            "build_year",
            "version",
            "company_grade",
        )
    }
    out["updated_at"] = record["updated_at"]
    for f in FIELDS:
        value = record.get(f.name)
        out[f.name] = float(value) if f.kind in ("share", "ratio") and value is not None else value
    out["labels_zh"] = {f.name: display(f.name, record.get(f.name)) for f in FIELDS}
    out["flags"] = [{"code": c, "message_zh": FLAG_ZH[c]} for c in flags]
    return out


def etag(version: int) -> str:
    return f'"v{version}"'


def _version_from(if_match: str | None, code: str) -> int:
    if not if_match:
        raise PreconditionRequired(
            "If-Match with the record's ETag is required to edit",
            message_zh="缺少版本信息（If-Match），请刷新后重新编辑",
            where={"code": code, "header": "If-Match"},
        )
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.startswith("v") or not tag[1:].isdigit() or len(tag) > 12:
        raise ValidationFailed(
            "If-Match must be the ETag the record was read with",
            message_zh="版本信息（If-Match）格式不正确",
            where={"header": "If-Match"},
        )
    return int(tag[1:])


@router.get("", summary="小区 records in the caller's jurisdiction, with flags")
def list_areas(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Reader,
    street: Annotated[str | None, Query(pattern=r"^[0-9]{9}$")] = None,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
    flag: Annotated[str | None, Query(pattern=r"^[a-z_]{2,40}$")] = None,
) -> list[dict[str, Any]]:
    rows = repo.list_records(session, me, request.state.scope, street=street, community=community)
    views = [record_view(r, settings) for r in rows]
    if flag:
        views = [v for v in views if any(f["code"] == flag for f in v["flags"])]
    return views


@router.get("/{code}", summary="One 小区's record (ETag = its version)")
def read_area(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    me: Reader,
    code: CodePath,
) -> dict[str, Any]:
    record = repo.get_record(session, me, request.state.scope, code)
    response.headers["ETag"] = etag(record["version"])
    response.headers["Cache-Control"] = "no-cache"
    return record_view(record, settings)


@router.get("/{code}/history", summary="Who changed what and when (newest first)")
def read_history(
    request: Request, session: SessionDep, me: Reader, code: CodePath
) -> list[dict[str, Any]]:
    record = repo.get_record(session, me, request.state.scope, code)
    rows = repo.history(session, record["id"])
    for row in rows:
        row["attribute_zh"] = _label(row["attribute"])
        row["old_zh"] = _shown(row["attribute"], row["old_value"])
        row["new_zh"] = _shown(row["attribute"], row["new_value"])
    return rows


def _label(attribute: str) -> str:
    spec = BY_NAME.get(attribute)
    return spec.label_zh if spec else attribute


def _shown(attribute: str, value: str | None) -> str:
    spec = BY_NAME.get(attribute)
    if value is None:
        return ""
    if spec is not None and spec.kind == "items":
        return display(attribute, value.split(",") if value else [])
    if spec is not None and spec.kind == "bool":
        return display(attribute, value == "true")
    return display(attribute, value)


@router.patch("/{code}", summary="Edit a 小区's record (If-Match required; 412 when stale)")
def edit_area(
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    me: Editor,
    code: CodePath,
    body: RecordUpdate,
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    record = repo.get_record(session, me, request.state.scope, code, lock=True)
    expected = _version_from(if_match, code)
    plan = plan_changes(record, body.model_dump(exclude_unset=True))
    if plan.errors:
        raise ValidationFailed(
            "; ".join(e.message for e in plan.errors),
            message_zh="；".join(e.message_zh for e in plan.errors),
            where={"code": code, "fields": [e.field for e in plan.errors]},
        )
    version = repo.apply_changes(session, me, record, plan.changes, expected_version=expected)
    audit_note(request, object_type="residential_area", object_id=code, fields=list(plan.changes))
    fresh = repo.get_record(session, me, request.state.scope, code)
    response.headers["ETag"] = etag(version)
    return {**record_view(fresh, settings), "changed": list(plan.changes)}


party_router = APIRouter(tags=["statistics"])
StatsReader = Annotated[Principal, Depends(require("stats:read"))]


@party_router.get(
    "/api/stats/party-coverage",
    summary="Party organisation coverage over owners' committees, against the year's target",
)
def party_coverage(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: StatsReader,
    level: Annotated[str, Query(pattern=r"^(district|street|community)$")] = "street",
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
) -> dict[str, Any]:
    return party_coverage_view(session, me, request.state.scope, settings, level, year)


def party_coverage_view(
    session: Any,
    me: Principal,
    scope: str,
    settings: Settings,
    level: str = "street",
    year: int | None = None,
) -> dict[str, Any]:
    """Coverage over owners' committees per unit and in total, against the year's target
    (the API above and the /stats page)."""
    from service.db.repositories.record_stats import party_coverage_rows
    from service.domain.record_flags import party_coverage as coverage
    from service.domain.record_flags import party_coverage_totals, year_target

    year = year or _today(settings).year
    target = year_target(settings.records.party_org_targets, year)
    units = [
        {**row, **coverage(row["committees"], row["with_party_org"], target)}
        for row in party_coverage_rows(session, me, scope, level)
    ]
    return {
        "year": year,
        "target": target,
        "targets": {str(y): t for y, t in sorted(settings.records.party_org_targets.items())},
        "level": level,
        "totals": party_coverage_totals(units, target),
        "units": units,
    }
