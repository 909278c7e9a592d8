"""One export, end to end: validate the request, run the cursor, hand back bytes or a file."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from service.db.repositories.export_layers import (
    ExportFilter,
    export_select,
    feature_text_select,
    geojson_select,
)
from service.db.repositories.exports import Prepare, copy_lines, stream_batches
from service.domain.bbox import parse_bbox as bbox_from_text
from service.domain.export_formats import (
    CRS_CHOICES,
    FORMATS,
    LAYERS,
    crs_label,
    export_filename,
)
from service.domain.export_labels import (
    FILE_CRS,
    LABEL_CHOICES,
    default_labels,
    relabel_properties,
)
from service.domain.principal import Principal
from service.errors import ValidationFailed
from service.exports.files import shapefile_readme, write_layer_file, zip_shapefile
from service.exports.streams import CoordFn, csv_chunks, geojson_chunks, geojson_from_lines

Batch = Sequence[Any]
Progress = Callable[[int], None]
AREA_CODE = re.compile(r"^(\d{9}|\d{12})$")


@dataclass(frozen=True)
class ExportRequest:
    layer: str
    fmt: str
    crs: str = "wgs84"
    flt: ExportFilter = field(default_factory=ExportFilter)
    labels: str | None = None  # "zh": coded values in Chinese words; None: the format's default
    stamp: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))

    @property
    def filename(self) -> str:
        return export_filename(self.layer, self.fmt, self.crs, self.stamp)

    @property
    def media_type(self) -> str:
        return FORMATS[self.fmt]

    @property
    def labels_zh(self) -> bool:
        return (self.labels or default_labels(self.fmt)) == "zh"

    def metadata(self) -> dict[str, str]:
        return {
            "crs_definition": FILE_CRS[self.crs],
            "labels": "zh" if self.labels_zh else "code",
            "time_zone": "Asia/Shanghai (+08:00)",
            "layer": self.layer,
            "title": LAYERS[self.layer].title_zh,
            "crs": self.crs,
            "crs_label": crs_label(self.crs),
            "exported_at": self.stamp,
            "source": "wangge",
        }


def validate_request(req: ExportRequest) -> None:
    """422 naming the field for an unknown layer, format, crs, status or a bad area / bbox."""
    if req.layer not in LAYERS:
        raise ValidationFailed(
            f"unknown layer {req.layer!r}; one of {', '.join(LAYERS)}",
            message_zh="未知图层",
            where={"field": "layer", "value": req.layer},
        )
    if req.fmt not in FORMATS:
        raise ValidationFailed(
            f"unknown format {req.fmt!r}; one of {', '.join(FORMATS)}",
            message_zh="不支持的格式",
            where={"field": "format", "value": req.fmt},
        )
    if req.crs not in CRS_CHOICES:
        raise ValidationFailed(
            "crs must be wgs84, gcj02 or cgcs2000",
            message_zh="坐标系只能是 wgs84、gcj02 或 cgcs2000",
            where={"field": "crs"},
        )
    if req.labels is not None and req.labels not in LABEL_CHOICES:
        raise ValidationFailed(
            "labels must be code or zh",
            message_zh="labels 只能是 code（编码）或 zh（中文）",
            where={"field": "labels", "value": req.labels},
        )
    flt = req.flt
    if flt.area and not AREA_CODE.match(flt.area):
        raise ValidationFailed(
            "area must be a 9-digit street or 12-digit community code",
            message_zh="区域编码应为9位街道或12位社区编码",
            where={"field": "area", "value": flt.area},
        )
    bad = sorted(set(flt.statuses) - set(LAYERS[req.layer].statuses))
    if bad:
        raise ValidationFailed(
            f"unknown status {bad[0]!r} for {req.layer}",
            message_zh="未知状态",
            where={"field": "status", "value": bad[0]},
        )


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """'minLon,minLat,maxLon,maxLat' in WGS84 degrees, checked; None when not given."""
    return bbox_from_text(text) if text else None


def coord_fn_for(crs: str) -> CoordFn | None:
    """None for WGS84; the vectorised WGS84 → GCJ-02 shift otherwise."""
    if crs in ("wgs84", "cgcs2000"):  # the same coordinates, within centimetres
        return None
    from service.exports.gcj import wgs84_to_gcj02_array

    return wgs84_to_gcj02_array


def _counted(batches: Iterable[Batch], progress: Progress | None) -> Iterator[Batch]:
    for batch in batches:
        yield batch
        if progress is not None:
            progress(len(batch))


def _counted_lines(
    chunks: Iterable[tuple[int, bytes]], progress: Progress | None
) -> Iterator[bytes]:
    for rows, lines in chunks:
        yield lines
        if progress is not None:
            progress(rows)


def stream_export(
    engine: Engine,
    principal: Principal,
    scope: str,
    req: ExportRequest,
    prepare: Prepare | None = None,
    batch_size: int = 500,  # rows held per download; a stalled one keeps its batch
    progress: Progress | None = None,
) -> Iterator[bytes]:
    """GeoJSON or CSV bytes straight from a server-side cursor."""
    fn = coord_fn_for(req.crs)
    if req.fmt == "geojson":
        if fn is None and not req.labels_zh:  # PostgreSQL writes every Feature, COPY streams
            stmt = feature_text_select(req.layer, principal, scope, req.flt, separator=",")
            lines = copy_lines(engine, stmt, prepare=prepare)
            return geojson_from_lines(_counted_lines(lines, progress), req.metadata())
        stmt = geojson_select(req.layer, principal, scope, req.flt)
        batches = stream_batches(engine, stmt, prepare=prepare, batch_size=batch_size)
        relabel = relabel_properties if req.labels_zh else None
        return geojson_chunks(_counted(batches, progress), req.metadata(), fn, relabel)
    stmt = export_select(req.layer, principal, scope, req.flt, "wkt")
    batches = stream_batches(engine, stmt, prepare=prepare, batch_size=batch_size)
    return csv_chunks(_counted(batches, progress), LAYERS[req.layer], fn, req.labels_zh)


def build_export_file(
    engine: Engine,
    principal: Principal,
    scope: str,
    req: ExportRequest,
    workdir: Path | None = None,
    prepare: Prepare | None = None,
    progress: Progress | None = None,
) -> tuple[Path, int]:
    """A GeoPackage or zipped Shapefile on disk (in `workdir`, a fresh temp dir by default)."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="wangge-export-"))
    info = LAYERS[req.layer]
    stmt = export_select(req.layer, principal, scope, req.flt, "wkb")
    batches = _counted(stream_batches(engine, stmt, prepare=prepare, batch_size=5000), progress)
    fn = coord_fn_for(req.crs)
    if req.fmt == "gpkg":
        path = workdir / req.filename
        return path, write_layer_file(
            batches, info, "gpkg", path, req.metadata(), fn, req.crs, req.labels_zh
        )
    shp = workdir / f"{req.layer}.shp"
    count = write_layer_file(
        batches, info, "shp.zip", shp, req.metadata(), fn, req.crs, req.labels_zh
    )
    readme = shapefile_readme(info, req.metadata())
    return zip_shapefile(shp, workdir / req.filename, readme), count
