"""Read an import file (GeoJSON, GeoPackage, CSV with WKT, zipped Shapefile) into features."""

from __future__ import annotations

import csv
import math
import zipfile
from pathlib import Path
from typing import Any

import shapely

from service.domain.boundary_rules import ATTRIBUTES, Incoming
from service.domain.export_formats import FORMULA_PREFIXES, LAYERS
from service.errors import ValidationFailed

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


def _unzip_shapefile(path: Path, workdir: Path) -> Path:
    with zipfile.ZipFile(path) as zf:
        for member in zf.infolist():
            name = Path(member.filename).name
            if (
                name
                and not member.is_dir()
                and Path(name).suffix.lower() in (".shp", ".shx", ".dbf", ".prj", ".cpg")
            ):
                (workdir / name).write_bytes(zf.read(member))
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


def _read_csv(path: Path) -> list[tuple[dict[str, Any], Any]]:
    records = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            wkt = row.pop("wkt", "") or ""
            try:
                geom = shapely.from_wkt(wkt) if wkt else None
            except shapely.errors.GEOSException as exc:
                raise _bad_file(
                    f"line {i}: unreadable WKT ({exc})", f"第 {i} 行 WKT 无法解析", path.name
                ) from exc
            records.append((dict(row), geom))
    return records


def _read_ogr(path: Path, encoding: str | None) -> list[tuple[dict[str, Any], Any]]:
    import pyogrio  # lazily: it loads pandas / geopandas

    df = pyogrio.read_dataframe(path, encoding=encoding, fid_as_index=False)
    cols = [c for c in df.columns if c != "geometry"]
    return [({c: row[c] for c in cols}, row["geometry"]) for row in df.to_dict("records")]


def read_features(path: Path, layer: str, workdir: Path) -> list[Incoming]:
    """Features of `layer` from the file at `path` (format from its suffix)."""
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise _bad_file(f"unsupported file type {suffix!r}", "不支持的文件类型", path.name)
    from pyogrio.errors import DataLayerError, DataSourceError

    try:
        if suffix == ".csv":
            records = _read_csv(path)
        elif suffix in (".zip", ".shp"):
            shp = _unzip_shapefile(path, workdir) if suffix == ".zip" else path
            records = _read_ogr(shp, shapefile_encoding(shp))
        else:
            records = _read_ogr(path, None)
    except (
        DataSourceError,
        DataLayerError,
        zipfile.BadZipFile,
        UnicodeDecodeError,
    ) as exc:
        raise _bad_file(f"cannot read the file: {exc}", "文件无法读取", path.name) from exc
    return _to_incoming(layer, records)
