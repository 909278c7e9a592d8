"""Photo rows. The file is written (temp file, then rename) before its row is inserted."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from service.domain.principal import Principal


def count_for_report(session: Session, report_id: uuid.UUID) -> int:
    return int(
        session.scalar(text("SELECT count(*) FROM photo WHERE report_id = :id"), {"id": report_id})
        or 0
    )


def find_photo(session: Session, photo_id: uuid.UUID) -> dict[str, Any] | None:
    row = (
        session.execute(
            text(
                "SELECT id, report_id, sha256, storage_key, is_evidence FROM photo WHERE id = :id"
            ),
            {"id": photo_id},
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def write_file(directory: Path, key: str, data: bytes) -> Path:
    """Write atomically: a temp file in the same folder, flushed, then renamed into place."""
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / key
    tmp = directory / f".{key}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    return final


def insert_photo(
    session: Session,
    *,
    photo_id: uuid.UUID,
    report_id: uuid.UUID,
    key: str,
    size: int,
    width: int,
    height: int,
    sha256: str,
    is_evidence: bool,
    actor: Principal,
) -> None:
    session.execute(
        text(
            "INSERT INTO photo (id, report_id, storage_key, content_type, bytes, width, height,"
            " sha256, is_evidence, uploaded_by, street_id, district_id)"
            " SELECT :id, r.id, :key, 'image/jpeg', :size, :w, :h, :sha, :ev, :actor,"
            " r.street_id, r.district_id FROM report r WHERE r.id = :rid"
        ),
        {
            "id": photo_id,
            "rid": report_id,
            "key": key,
            "size": size,
            "w": width,
            "h": height,
            "sha": sha256,
            "ev": is_evidence,
            "actor": actor.id,
        },
    )
