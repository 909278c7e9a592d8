"""Read an import file (GeoJSON, GeoPackage, CSV with WKT, zipped Shapefile) into features."""

from __future__ import annotations

import csv
import math
import zipfile
import zlib
from pathlib import Path
from typing import Any

import shapely

from service.domain.boundary_rules import ATTRIBUTES, Incoming
from service.domain.export_formats import FORMULA_PREFIXES, LAYERS
from service.errors import ValidationFailed
from service.imports.archives import ArchiveLimits, check_declared, extract_member

SUFFIXES = (".geojson", ".json", ".gpkg", ".csv", ".zip", ".shp")


def _bad_file(message: str, zh: str, name: str) -> ValidationFailed:
    return ValidationFailed(message, message_zh=zh, where={"field": "file", "file": name})


def shapefile_encoding(shp: Path) -> str:
    """The .cpg's encoding; otherwise UTF-8 if the .dbf decodes strictly, else GBK."""
    cpg = shp.with_suffix(".cpg")
    if cpg.exists():
        text = cpg.read_text(errors="replace").strip().upper()
        if text in ("UTF-8", "UTF8", "65001"):
            return "UTF-8"
        return "GBK" if text in ("GBK", "CP936", "936", "GB2312", "GB18030") else text
    dbf = shp.with_suffix(".dbf").read_bytes()
    try:
        dbf.decode("utf-8", errors="strict")
        return "UTF-8"
    except UnicodeDecodeError:
        return "GBK"


def _unzip_shapefile(path: Path, workdir: Path, limits: ArchiveLimits) -> Path:
    with zipfile.ZipFile(path) as zf:
        members = [
            m
            for m in zf.infolist()
            if Path(m.filename).name
            and not m.is_dir()
            and Path(m.filename).suffix.lower() in (".shp", ".shx", ".dbf", ".prj", ".cpg")
        ]
        check_declared(members, path.name, limits)
        budget = limits.max_bytes
        for member in members:
            target = workdir / Path(member.filename).name
            budget = extract_member(zf, member, target, budget, path.name, limits)
    shps = sorted(workdir.glob("*.shp"))
    if len(shps) != 1:
        raise _bad_file("the zip must hold exactly one .shp", "压缩包内应只有一个 .shp", path.name)
    return shps[0]


def _clean(value: Any) -> Any:
    """Plain Python values; undo the CSV formula guard; NaN → None; whole floats → int."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return int(value) if value.is_integer() else value
    if isinstance(value, str) and value[:1] == "'" and value[1:2] in FORMULA_PREFIXES:
        return value[1:]
    return value


def _to_incoming(layer: str, records: list[tuple[dict[str, Any], Any]]) -> list[Incoming]:
    info = LAYERS[layer]
    short_to_name = {f.short: f.name for f in info.fields}
    wanted = ATTRIBUTES[layer]
    out = []
    for row, (props, geom) in enumerate(records, start=1):
        named = {short_to_name.get(k, k): _clean(v) for k, v in props.items()}
        attrs = {k: named[k] for k in wanted if k in named}
        for k in ("households", "buildings", "build_year"):
            if isinstance(attrs.get(k), str) and attrs[k].strip().isdigit():
                attrs[k] = int(attrs[k])
            elif attrs.get(k) == "":
                attrs[k] = None
        if layer == "grid_cells" and isinstance(named.get("status"), str):
            attrs["status"] = named["status"].strip()  # "retired": history, never re-imported
        code = str(named.get("code") or "").strip()
        out.append(Incoming(code=code, attrs=attrs, geom=geom, row=row))
    return out


# A WKT field may hold a whole polygon: 20,000 vertices (the vertex cap) take about 1 MB of
# text, far past the csv module's default of 128 KiB. Longer fields are refused with their line.
CSV_FIELD_LIMIT = 4 * 1024 * 1024


def _read_csv(path: Path) -> list[tuple[dict[str, Any], Any]]:
    records = []
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        i = 1
        try:
            for i, row in enumerate(reader, start=2):
                records.append((dict(row), _wkt_geometry(row.pop("wkt", "") or "", i, path.name)))
        except csv.Error as exc:
            raise ValidationFailed(
                f"line {i + 1}: {exc}; a WKT field may hold at most {CSV_FIELD_LIMIT} characters",
                message_zh=f"第 {i + 1} 行无法读取（字段过长或格式错误）",
                where={"field": "file", "file": path.name, "line": i + 1},
            ) from exc
    return records


def _wkt_geometry(wkt: str, line: int, name: str) -> Any:
    try:
        return shapely.from_wkt(wkt) if wkt else None
    except shapely.errors.GEOSException as exc:
        raise _bad_file(
            f"line {line}: unreadable WKT ({exc})", f"第 {line} 行 WKT 无法解析", name
        ) from exc


def _read_ogr(path: Path, encoding: str | None) -> list[tuple[dict[str, Any], Any]]:
    import pyogrio.raw  # lazily: it loads numpy / GDAL

    meta, _, wkbs, columns = pyogrio.raw.read(path, encoding=encoding)
    names = list(meta["fields"])
    records = []
    for i, wkb in enumerate(wkbs):
        props = {name: col[i] for name, col in zip(names, columns, strict=True)}
        records.append((props, _geometry(wkb, i + 1, props, path.name)))
    return records


def _geometry(wkb: bytes | None, row: int, props: dict[str, Any], name: str) -> Any:
    """One feature's geometry; a ring GEOS cannot build (NaN / inf, unclosed) is a 422 here."""
    if wkb is None:
        return None
    try:
        return shapely.from_wkb(wkb)
    except shapely.errors.GEOSException as exc:
        code = str(_clean(props.get("code")) or "")
        raise ValidationFailed(
            f"feature {row} ({code or 'no code'}): unreadable geometry, a ring that does not"
            f" close or a non-finite (NaN / infinite) coordinate ({exc})",
            message_zh=f"第 {row} 个要素的几何无法读取：环未闭合或坐标非有限数",
            where={"field": "geometry", "file": name, "feature": row, "code": code},
        ) from exc


def read_features(
    path: Path, layer: str, workdir: Path, archive_limits: ArchiveLimits | None = None
) -> list[Incoming]:
    """Features of `layer` from the file at `path` (format from its suffix)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise _bad_file(f"unsupported file type {suffix!r}", "不支持的文件类型", path.name)
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        if suffix == ".csv":
            records = _read_csv(path)
        elif suffix in (".zip", ".shp"):
            shp = (
                _unzip_shapefile(path, workdir, archive_limits or ArchiveLimits())
                if suffix == ".zip"
                else path
            )
            records = _read_ogr(shp, shapefile_encoding(shp))
        else:
            records = _read_ogr(path, None)
    except (
        DataSourceError,
        DataLayerError,
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        NotImplementedError,  # a compression method zipfile does not know
        RuntimeError,  # an encrypted member
        UnicodeDecodeError,
    ) as exc:
        raise _bad_file(f"cannot read the file: {exc}", "文件无法读取", path.name) from exc
    return _to_incoming(layer, records)
