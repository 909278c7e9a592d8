"""Photos of a report: upload (validated, re-encoded, EXIF gone) and jurisdiction-checked reads."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel

from service.api.deps import SessionDep, SettingsDep, require
from service.domain.principal import Principal
from service.errors import PayloadTooLarge
from service.services import photos

router = APIRouter(prefix="/api", tags=["photos"])


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
    data = _read_capped(file, settings.photos.max_bytes)
    stored = photos.add_photo(
        session,
        me,
        request.state.scope,
        report_id,
        data,
        photo_id=id,
        evidence=evidence,
        decoder=request.app.state.photo_decoder,
        photo_dir=settings.effective_photo_dir,
    )
    if not stored.created:  # the caller's own retry: the photo as it was stored
        response.status_code = 200
    return PhotoPublic(
        id=stored.id,
        report_id=stored.report_id,
        is_evidence=stored.is_evidence,
        url=f"/api/photos/{stored.id}",
    )


@router.get("/photos/{photo_id}", summary="A photo, if its report is in my jurisdiction")
def read_photo(
    photo_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Annotated[Principal, Depends(require("report:read"))],
) -> FileResponse:
    path = photos.photo_file(
        session, me, request.state.scope, photo_id, settings.effective_photo_dir
    )
    return FileResponse(path, media_type="image/jpeg", headers={"Cache-Control": "private"})
