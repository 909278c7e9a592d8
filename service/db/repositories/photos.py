"""Photo rows and files. The row is claimed first (its id is the primary key), the file written
after, at a path derived from the report and the photo id: storage is only ever touched for a
row this transaction holds, and no client-chosen value names a path."""

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
    """Write atomically: a temp file in the same folder, flushed, then renamed into place.

    Call only for a key whose row this transaction has claimed: a file already at that path
    can only be left over from a claim that was rolled back, so replacing it is safe.
    """
    final = directory / key
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.parent / f".{final.name}.{uuid.uuid4().hex}.tmp"
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    return final


def storage_key(report_id: uuid.UUID, photo_id: uuid.UUID) -> str:
    """Where a photo's file lives under the photo folder: one folder per report."""
    return f"{report_id}/{photo_id}.jpg"


def claim_photo(
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
) -> bool:
    """Insert the photo's row unless its id (or key) is taken; whether this call inserted it.

    ON CONFLICT DO NOTHING also covers a row the caller cannot see (row-level security hides
    it from a SELECT, not from the unique index), so a taken id is never a 500.
    """
    inserted = session.execute(
        text(
            "INSERT INTO photo (id, report_id, storage_key, content_type, bytes, width, height,"
            " sha256, is_evidence, uploaded_by, street_id, district_id)"
            " SELECT :id, r.id, :key, 'image/jpeg', :size, :w, :h, :sha, :ev, :actor,"
            " r.street_id, r.district_id FROM report r WHERE r.id = :rid"
            " ON CONFLICT DO NOTHING RETURNING 1"
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
    ).first()
    return inserted is not None
