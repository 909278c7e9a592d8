"""A report's photos: added (the report in reach, the image decoded under the process's slots,
a retry told from a new photo, the row claimed before the file is written) and read back."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from service.db.repositories import photos as repo
from service.db.repositories.reports import get_report
from service.domain.photos import CleanPhoto, clean_photo
from service.domain.principal import Principal
from service.errors import Conflict, OutsideJurisdiction, TooManyRequests
from service.settings import PhotoSettings

MAX_PHOTOS_PER_REPORT = 6
DECODE_WAIT_S = 5.0  # how long an upload waits for a decoding slot before 429


class PhotoDecoder:
    """Decoding under the process's slots (built in the app's lifespan): a burst of uploads
    waits briefly, then gets 429 with Retry-After (the phone's outbox tries again), never more
    decoders than slots."""

    def __init__(self, limits: PhotoSettings, wait_s: float = DECODE_WAIT_S) -> None:
        self.limits = limits
        self.wait_s = wait_s
        self.slots = threading.BoundedSemaphore(max(1, limits.decode_slots))

    def decode(self, data: bytes) -> CleanPhoto:
        if not self.slots.acquire(timeout=self.wait_s):
            raise TooManyRequests(
                "too many photos being processed; try again shortly",
                message_zh="照片处理繁忙，请稍后重试",
                where={"field": "file"},
                headers={"Retry-After": "2"},
            )
        try:
            return clean_photo(
                data,
                max_bytes=self.limits.max_bytes,
                max_pixels=self.limits.max_pixels,
                max_whole_pixels=self.limits.max_png_pixels,
            )
        finally:
            self.slots.release()


@dataclass(frozen=True)
class StoredPhoto:
    id: uuid.UUID
    report_id: uuid.UUID
    is_evidence: bool
    created: bool  # False: the caller's own retry of a photo already stored


def add_photo(
    session: Session,
    me: Principal,
    scope: str,
    report_id: uuid.UUID,
    data: bytes,
    *,
    photo_id: uuid.UUID | None,
    evidence: bool,
    decoder: PhotoDecoder,
    photo_dir: Path,
) -> StoredPhoto:
    """Store a photo of a report in the caller's reach, re-encoded without its metadata."""
    report = get_report(session, report_id, me, scope, lock=True)
    if report is None:
        raise OutsideJurisdiction("report not found", message_zh="事件不存在")
    clean = decoder.decode(data)
    photo_id = photo_id or uuid.uuid4()
    existing = repo.find_photo(session, photo_id)
    if existing is not None and existing["report_id"] == report_id:
        if existing["sha256"] == clean.sha256:  # the caller's own retry: nothing to write
            return StoredPhoto(photo_id, report_id, existing["is_evidence"], created=False)
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
    repo.write_file(photo_dir, key, clean.jpeg)
    return StoredPhoto(photo_id, report_id, evidence, created=True)


def photo_file(
    session: Session, me: Principal, scope: str, photo_id: uuid.UUID, photo_dir: Path
) -> Path:
    """The stored file of a photo whose report is in the caller's reach."""
    found = repo.find_photo(session, photo_id)
    if found is None or get_report(session, found["report_id"], me, scope) is None:
        raise OutsideJurisdiction("photo not found", message_zh="照片不存在")
    return photo_dir / found["storage_key"]
