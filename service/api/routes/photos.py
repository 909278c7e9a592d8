"""Photos of a report: upload (validated, re-encoded, EXIF gone) and jurisdiction-checked reads."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel

from service.api.deps import SessionDep, SettingsDep, require
from service.db.repositories import photos as repo
from service.db.repositories.reports import get_report
from service.domain.photos import clean_photo
from service.domain.principal import Principal
from service.errors import (
    Conflict,
    OutsideJurisdiction,
    PayloadTooLarge,
)

router = APIRouter(prefix="/api", tags=["photos"])
MAX_PHOTOS_PER_REPORT = 6


class PhotoPublic(BaseModel):
    id: uuid.UUID
    report_id: uuid.UUID
    is_evidence: bool
    url: str


def _read_capped(upload: UploadFile, limit: int) -> bytes:
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(
            f"photo larger than {limit} bytes", message_zh="照片文件过大", where={"field": "file"}
        )
    return data


@router.post(
    "/reports/{report_id}/photos",
    response_model=PhotoPublic,
    status_code=201,
    summary="Add a photo (JPEG/PNG/WebP; stored re-encoded as JPEG without metadata)",
)
def add_photo(
    report_id: uuid.UUID,
    request: Request,
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    me: Annotated[Principal, Depends(require("report:photo:add"))],
    file: Annotated[UploadFile, File()],
    id: Annotated[uuid.UUID | None, Form(description="client UUID: retries are safe")] = None,
    evidence: Annotated[bool, Form()] = False,
) -> PhotoPublic:
    data = _read_capped(file, settings.max_photo_bytes)
    report = get_report(session, report_id, me, request.state.scope, lock=True)
    if report is None:
        raise OutsideJurisdiction("report not found", message_zh="事件不存在")
    clean = clean_photo(
        data, max_bytes=settings.max_photo_bytes, max_pixels=settings.max_photo_pixels
    )
    photo_id = id or uuid.uuid4()
    existing = repo.find_photo(session, photo_id)
    if existing is not None:
        if existing["report_id"] != report_id or existing["sha256"] != clean.sha256:
            raise Conflict("this photo id was used for a different photo", where={"field": "id"})
        response.status_code = 200
        return _public(photo_id, report_id, existing["is_evidence"])
    if repo.count_for_report(session, report_id) >= MAX_PHOTOS_PER_REPORT:
        raise Conflict(
            f"a report has at most {MAX_PHOTOS_PER_REPORT} photos",
            message_zh=f"每个事件最多 {MAX_PHOTOS_PER_REPORT} 张照片",
            where={"field": "file"},
        )
    key = f"{photo_id}.jpg"
    repo.write_file(settings.effective_photo_dir, key, clean.jpeg)
    repo.insert_photo(
        session,
        photo_id=photo_id,
        report_id=report_id,
        key=key,
        size=len(clean.jpeg),
        width=clean.width,
        height=clean.height,
        sha256=clean.sha256,
        is_evidence=evidence,
        actor=me,
    )
    return _public(photo_id, report_id, evidence)


def _public(photo_id: uuid.UUID, report_id: uuid.UUID, evidence: bool) -> PhotoPublic:
    return PhotoPublic(
        id=photo_id, report_id=report_id, is_evidence=evidence, url=f"/api/photos/{photo_id}"
    )


@router.get("/photos/{photo_id}", summary="A photo, if its report is in my jurisdiction")
def read_photo(
    photo_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Annotated[Principal, Depends(require("report:read"))],
) -> FileResponse:
    found = repo.find_photo(session, photo_id)
    if found is None or get_report(session, found["report_id"], me, request.state.scope) is None:
        raise OutsideJurisdiction("photo not found", message_zh="照片不存在")
    path = settings.effective_photo_dir / found["storage_key"]
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private"})
