"""POST /api/imports/{layer}: boundary files in, a dry-run report out, or applied atomically."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile

from service.api.deps import SessionDep, SettingsDep, require
from service.domain.principal import Principal
from service.errors import PayloadTooLarge, ValidationFailed
from service.imports.archives import ArchiveLimits
from service.imports.readers import SUFFIXES
from service.services.boundary_import import check_layer, run_import

router = APIRouter(prefix="/api/imports", tags=["imports"])
CHUNK = 1 << 20


def _save_upload(upload: UploadFile, workdir: Path, limit: int) -> Path:
    name = Path(upload.filename or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise ValidationFailed(
            f"unsupported file type {suffix!r}; use {', '.join(SUFFIXES)}",
            message_zh="不支持的文件类型",
            where={"field": "file", "file": name},
        )
    target = workdir / f"upload{suffix}"
    size = 0
    with target.open("wb") as out:
        while chunk := upload.file.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(
                    f"file larger than {limit} bytes",
                    message_zh="文件过大",
                    where={"field": "file", "limit_bytes": limit},
                )
            out.write(chunk)
    return target


@router.post("/{layer}", summary="Import boundaries: dry run (default) or apply")
def import_boundaries(
    layer: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Annotated[Principal, Depends(require("import:boundary"))],
    file: Annotated[UploadFile, File(description="GeoJSON, GeoPackage, CSV (WKT) or .shp.zip")],
    apply: bool = False,
) -> dict[str, Any]:
    """Matched by code; the report lists what would be added, changed and refused (and why)."""
    check_layer(layer)
    workdir = Path(tempfile.mkdtemp(prefix="wangge-import-"))
    try:
        path = _save_upload(file, workdir, settings.imports.max_bytes)
        return run_import(
            session,
            layer,
            path,
            me,
            request.state.scope,
            apply=apply,
            workdir=workdir,
            max_vertices=settings.limits.max_geometry_vertices,
            archive_limits=ArchiveLimits(
                settings.imports.max_expanded_bytes, settings.imports.max_compression_ratio
            ),
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
