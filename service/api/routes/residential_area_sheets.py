"""Bulk upkeep through Excel: download the 小区 sheet, upload it for a dry run, then apply."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import Response

from service.api.deps import SessionDep, SettingsDep, audit_note, require
from service.db.repositories import records as repo
from service.domain.principal import Principal
from service.errors import PayloadTooLarge, SheetRefused
from service.imports.record_sheet import build_sheet, read_sheet
from service.services.record_sheets import upload_sheet as apply_sheet

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
    data = file.file.read(settings.imports.max_xlsx_bytes + 1)
    if len(data) > settings.imports.max_xlsx_bytes:
        raise PayloadTooLarge(
            "the sheet is too large",
            message_zh="文件过大",
            where={"limit": settings.imports.max_xlsx_bytes},
        )
    try:
        rows, refusals = read_sheet(data)
    except SheetRefused as refused:
        refused.where = {"file": file.filename or "xlsx"}
        raise
    result = apply_sheet(session, me, str(request.state.scope), rows, refusals, apply=apply)
    if apply:
        audit_note(request, object_type="residential_area", object_id="sheet",
                   changes=len(result["changes"]))  # fmt: skip
    return result
