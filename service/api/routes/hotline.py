"""12345 hotline work orders in bulk: upload the hotline's CSV/Excel export for a dry run
(duplicates by order number, orders outside the district, unreadable rows), then apply."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile

from service.api.deps import SessionDep, SettingsDep, audit_note, require
from service.domain.principal import Principal
from service.errors import PayloadTooLarge, ValidationFailed
from service.imports.hotline_orders import SheetRefused, read_orders
from service.services.hotline_import import import_orders as register_orders

router = APIRouter(prefix="/api/hotline", tags=["residents"])
Importer = Annotated[Principal, Depends(require("hotline:import"))]


@router.post("/orders", summary="Import hotline work orders: dry run (default) or apply")
def import_orders(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Importer,
    file: Annotated[UploadFile, File(description="the hotline's export, .csv or .xlsx")],
    apply: Annotated[bool, Query(description="register the new orders")] = False,
    crs: Annotated[
        Literal["wgs84", "gcj02", "bd09"],
        Query(description="coordinate system of rows without a 坐标系 column"),
    ] = "wgs84",
) -> dict[str, Any]:
    if me.district_id is None:
        raise ValidationFailed(
            "an account bound to no district cannot import orders",
            message_zh="该账号不属于任何区县，不能导入工单",
        )
    data = file.file.read(settings.imports.max_xlsx_bytes + 1)
    if len(data) > settings.imports.max_xlsx_bytes:
        raise PayloadTooLarge(
            "the file is too large",
            message_zh="文件过大",
            where={"field": "file", "limit": settings.imports.max_xlsx_bytes},
        )
    try:
        rows = read_orders(data, file.filename or "")
    except SheetRefused as exc:
        raise ValidationFailed(
            exc.message, message_zh=exc.message_zh, where={"field": "file", "file": file.filename}
        ) from None
    result = register_orders(session, me, rows, crs, apply=apply)
    if apply:
        audit_note(request, object_type="report", object_id="hotline",
                   created=len(result["created"]))  # fmt: skip
    return result
