"""Bulk upkeep through Excel: download the 小区 sheet, upload it for a dry run, then apply."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session

from service.api.deps import SessionDep, SettingsDep, audit_note, require
from service.db.repositories import records as repo
from service.domain.principal import Principal
from service.domain.record_changes import plan_changes
from service.domain.records import BY_NAME, display
from service.errors import PayloadTooLarge, ValidationFailed
from service.imports.record_sheet import SheetRefused, SheetRow, build_sheet, read_sheet

router = APIRouter(prefix="/api/residential-areas", tags=["residential areas"])
Reader = Annotated[Principal, Depends(require("residential_area:read"))]
Editor = Annotated[Principal, Depends(require("residential_area:edit"))]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/sheet.xlsx", summary="The 小区 records as an Excel sheet (Chinese headers)")
def download_sheet(
    request: Request,
    session: SessionDep,
    me: Reader,
    street: Annotated[str | None, Query(pattern=r"^[0-9]{9}$")] = None,
    community: Annotated[str | None, Query(pattern=r"^[0-9]{12}$")] = None,
) -> Response:
    rows = repo.list_records(session, me, request.state.scope, street=street, community=community)
    data = build_sheet(rows, repo.company_names(session))
    name = f"小区台账-{street or community or '辖区'}.xlsx"
    return Response(
        data,
        media_type=XLSX,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store",
        },
    )


def _refusal(row: SheetRow, column: str | None, message_zh: str) -> dict[str, Any]:
    return {"row": row.row, "code": row.code or None, "column": column, "message_zh": message_zh}


def plan_sheet(
    session: Session, me: Principal, scope: str, rows: list[SheetRow]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[tuple[dict[str, Any], SheetRow, Any]]]:
    """Every change and every refusal, by row and column; and what to write if none."""
    known = {r["code"]: r for r in repo.list_records(session, me, scope)}
    registered = set(repo.company_names(session))
    changes: list[dict[str, Any]] = []
    refusals: list[dict[str, Any]] = []
    writes = []
    seen: set[str] = set()
    for row in rows:
        record = known.get(row.code)
        if record is None:
            refusals.append(_refusal(row, "小区编码", "小区编码不存在或不在本辖区"))
            continue
        if row.code in seen:
            refusals.append(_refusal(row, "小区编码", "同一小区在表中出现了两次"))
            continue
        seen.add(row.code)
        if row.version != record["version"]:
            refusals.append(_refusal(row, "版本", "下载后该小区已被修改，请重新下载"))
            continue
        plan = plan_changes(record, row.values)
        company = plan.changes.get("property_company")
        if company and company not in registered:
            refusals.append(_refusal(row, "物业服务企业", f"“{company[:60]}”未在企业名录中"))
            continue
        for error in plan.errors:
            label = BY_NAME[error.field].label_zh if error.field in BY_NAME else error.field
            refusals.append(_refusal(row, label, error.message_zh))
        if plan.errors:
            continue
        for name, new in plan.changes.items():
            changes.append(
                {
                    "row": row.row,
                    "code": row.code,
                    "column": BY_NAME[name].label_zh,
                    "field": name,
                    "old": display(name, record.get(name)),
                    "new": display(name, new),
                }
            )
        if plan.changes:
            writes.append((record, row, plan.changes))
    return changes, refusals, writes


@router.post("/sheet.xlsx", summary="Upload the edited sheet: dry run (default) or apply")
def upload_sheet(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Editor,
    file: Annotated[UploadFile, File(description="the edited .xlsx")],
    apply: Annotated[bool, Query(description="write the changes (all or nothing)")] = False,
) -> dict[str, Any]:
    # a sync handler (run in a worker thread): the upload is already spooled, so reading it
    # here blocks nothing, and the writes share the request's one transaction and audit row
    data = file.file.read(settings.max_xlsx_bytes + 1)
    if len(data) > settings.max_xlsx_bytes:
        raise PayloadTooLarge(
            "the sheet is too large",
            message_zh="文件过大",
            where={"limit": settings.max_xlsx_bytes},
        )
    try:
        rows, refusals = read_sheet(data)
    except SheetRefused as exc:
        raise ValidationFailed(
            exc.message, message_zh=exc.message_zh, where={"file": file.filename or "xlsx"}
        ) from None
    changes, row_refusals, writes = plan_sheet(session, me, str(request.state.scope), rows)
    refusals += row_refusals
    result: dict[str, Any] = {
        "dry_run": not apply,
        "rows": len(rows),
        "changes": changes,
        "refusals": refusals,
    }
    if not apply:
        return result
    if refusals:
        raise ValidationFailed(
            f"{len(refusals)} refusal(s); nothing was written",
            message_zh=f"有 {len(refusals)} 处不能接受，未写入任何修改",
            where={"refusals": refusals},
        )
    for record, row, planned in writes:
        repo.apply_changes(session, me, record, planned, expected_version=row.version)
    audit_note(request, object_type="residential_area", object_id="sheet", changes=len(changes))
    result["applied"] = len(changes)
    return result
