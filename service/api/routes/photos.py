"""Photos of a report: upload (validated, re-encoded, EXIF gone) and jurisdiction-checked reads."""

from __future__ import annotations

import functools
import threading
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel

from service.api.deps import SessionDep, SettingsDep, require
from service.db.repositories import photos as repo
from service.db.repositories.reports import get_report
from service.domain.photos import CleanPhoto, clean_photo
from service.domain.principal import Principal
from service.errors import (
    Conflict,
    OutsideJurisdiction,
    PayloadTooLarge,
    TooManyRequests,
)
from service.settings import Settings

router = APIRouter(prefix="/api", tags=["photos"])
MAX_PHOTOS_PER_REPORT = 6
DECODE_WAIT_S = 5.0  # how long an upload waits for a decoding slot before 429


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
    report = get_report(session, report_id, me, request.state.scope, lock=True)
    if report is None:
        raise OutsideJurisdiction("report not found", message_zh="事件不存在")
    clean = _decode(data, settings)
    photo_id = id or uuid.uuid4()
    existing = repo.find_photo(session, photo_id)
    if existing is not None and existing["report_id"] == report_id:
        if existing["sha256"] == clean.sha256:  # the caller's own retry: nothing to write
            response.status_code = 200
            return _public(photo_id, report_id, existing["is_evidence"])
    if repo.count_for_report(session, report_id) >= MAX_PHOTOS_PER_REPORT:
        raise Conflict(
            f"a report has at most {MAX_PHOTOS_PER_REPORT} photos",
            message_zh=f"每个事件最多 {MAX_PHOTOS_PER_REPORT} 张照片",
            where={"field": "file"},
        )
    # The row is secured before storage is touched, and the file's path is derived from the
    # report and the row's id: a client-chosen id can never reach another report's file.
    key = repo.storage_key(report_id, photo_id)
    claimed = repo.claim_photo(
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
    if not claimed:
        # Taken by another photo, visible or not: one answer for both, so the id's owner,
        # report and street are never revealed.
        raise Conflict(
            "this photo id is already used; send the photo under a new id",
            message_zh="照片编号已被使用，请用新的编号重新上传",
            where={"field": "id"},
        )
    repo.write_file(settings.effective_photo_dir, key, clean.jpeg)
    return _public(photo_id, report_id, evidence)


def _decode(data: bytes, settings: Settings) -> CleanPhoto:
    """Decode under the process's decoding slots: a burst of uploads waits briefly, then gets
    429 with Retry-After (the phone's outbox tries again), never more decoders than slots."""
    gate = _decode_gate(settings.photos.decode_slots)
    if not gate.acquire(timeout=DECODE_WAIT_S):
        raise TooManyRequests(
            "too many photos being processed; try again shortly",
            message_zh="照片处理繁忙，请稍后重试",
            where={"field": "file"},
            headers={"Retry-After": "2"},
        )
    try:
        return clean_photo(
            data,
            max_bytes=settings.photos.max_bytes,
            max_pixels=settings.photos.max_pixels,
            max_whole_pixels=settings.photos.max_png_pixels,
        )
    finally:
        gate.release()


@functools.cache
def _decode_gate(slots: int) -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(max(1, slots))


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
