"""GeoPackage and zipped Shapefile exports, built batch by batch in a temp dir, then streamed."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from service.domain.export_formats import LayerInfo
from service.domain.export_labels import FILE_CRS, beijing_time, relabel_row
from service.exports.streams import CoordFn

DRIVERS = {"gpkg": "GPKG", "shp.zip": "ESRI Shapefile"}
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _utc_naive(value: datetime) -> np.datetime64:
    return np.datetime64(value.astimezone(UTC).replace(tzinfo=None), "ms")


def _column(values: list[Any], kind: str, shapefile: bool) -> tuple[np.ndarray, np.ndarray]:
    """A typed numpy column and its null mask (Shapefiles get datetimes as ISO text)."""
    mask = np.array([v is None for v in values], dtype=bool)
    if kind == "int":
        return np.array([0 if v is None else v for v in values], dtype=np.int64), mask
    if kind == "float":
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64), mask
    if kind == "bool":
        return np.array([bool(v) for v in values], dtype=bool), mask
    if kind == "datetime" and not shapefile:
        arr = [np.datetime64("NaT") if v is None else _utc_naive(v) for v in values]
        return np.array(arr, dtype="datetime64[ms]"), mask
    if kind == "datetime":  # Shapefiles have no time type: Beijing time with its offset
        texts = ["" if v is None else beijing_time(v) for v in values]
        return np.array(texts, dtype=object), mask
    return np.array(["" if v is None else str(v) for v in values], dtype=object), mask


def _geometries(batch: Sequence[Any], coord_fn: CoordFn | None) -> np.ndarray:
    wkb = np.array([None if r[-1] is None else bytes(r[-1]) for r in batch], dtype=object)
    if coord_fn is None:
        return wkb
    geoms = shapely.transform(shapely.from_wkb(wkb), coord_fn)
    return np.asarray(shapely.to_wkb(geoms), dtype=object)


def write_layer_file(
    batches: Iterable[Sequence[Any]],
    info: LayerInfo,
    fmt: str,
    path: Path,
    metadata: dict[str, str],
    coord_fn: CoordFn | None = None,
    crs: str = "wgs84",
    labels_zh: bool = False,
) -> int:
    """Write rows (fields..., WKB) to `path` in batches; returns the feature count."""
    # imported here: pyogrio pulls in pandas/geopandas (~100 MB) the streaming path never needs
    from pyogrio.raw import write

    shapefile = fmt == "shp.zip"
    names = [f.short if shapefile else f.name for f in info.fields]
    written, first = 0, True
    options: dict[str, Any] = {}
    if not shapefile:
        options = {"dataset_metadata": metadata, "layer_metadata": metadata}
    empty: list[Sequence[Any]] = [[]]
    for batch in _non_empty_or(batches, empty):
        rows = [relabel_row(info, r[:-1]) + [r[-1]] for r in batch] if labels_zh else batch
        cols = [_column([r[i] for r in rows], f.kind, shapefile) for i, f in enumerate(info.fields)]
        write(
            str(path),
            geometry=_geometries(batch, coord_fn),
            field_data=[c[0] for c in cols],
            fields=names,
            field_mask=[c[1] for c in cols],
            layer=info.name,
            driver=DRIVERS[fmt],
            geometry_type=info.geometry_type,
            crs=FILE_CRS[crs],
            encoding="UTF-8" if shapefile else None,
            append=not first,
            **options,
        )
        written += len(batch)
        first, options = False, {}
    if not shapefile:
        describe_columns(path, info)
    return written


def describe_columns(path: Path, info: LayerInfo) -> None:
    """Each column's Chinese title in the GeoPackage itself: the schema extension's
    gpkg_data_columns (name = the column, title = 中文), which GIS software shows as the
    field's alias. The Shapefile carries the same in its README."""
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_data_columns (table_name TEXT NOT NULL,"
            " column_name TEXT NOT NULL, name TEXT, title TEXT, description TEXT,"
            " mime_type TEXT, constraint_name TEXT,"
            " CONSTRAINT pk_gdc PRIMARY KEY (table_name, column_name),"
            " CONSTRAINT gdc_tn UNIQUE (table_name, name))"
        )
        db.execute(
            "CREATE TABLE IF NOT EXISTS gpkg_data_column_constraints (constraint_name TEXT"
            " NOT NULL, constraint_type TEXT NOT NULL, value TEXT, min NUMERIC,"
            " min_is_inclusive BOOLEAN, max NUMERIC, max_is_inclusive BOOLEAN,"
            " description TEXT, CONSTRAINT gdcc_ntv UNIQUE (constraint_name,"
            " constraint_type, value))"
        )
        for table in ("gpkg_data_columns", "gpkg_data_column_constraints"):
            db.execute(
                "INSERT INTO gpkg_extensions (table_name, column_name, extension_name,"
                " definition, scope) SELECT ?, NULL, 'gpkg_schema',"
                " 'http://www.geopackage.org/spec/#extension_schema', 'read-write'"
                " WHERE NOT EXISTS (SELECT 1 FROM gpkg_extensions WHERE table_name = ?"
                " AND extension_name = 'gpkg_schema')",
                (table, table),
            )
        db.executemany(
            "INSERT OR REPLACE INTO gpkg_data_columns (table_name, column_name, name, title,"
            " description) VALUES (?, ?, ?, ?, ?)",
            [(info.name, f.name, f.title_zh, f.title_zh, f.title_zh) for f in info.fields],
        )


def _non_empty_or(
    batches: Iterable[Sequence[Any]], fallback: list[Sequence[Any]]
) -> Iterable[Sequence[Any]]:
    seen = False
    for batch in batches:
        seen = True
        yield batch
    if not seen:
        yield from fallback


def zip_shapefile(shp: Path, zip_path: Path, readme: str) -> Path:
    """Zip the Shapefile's parts (incl. the .cpg naming UTF-8) and a README with field names."""
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for suffix in SHAPEFILE_PARTS:
            part = shp.with_suffix(suffix)
            if part.exists():
                zf.write(part, arcname=part.name)
        zf.writestr(shp.with_suffix(".txt").name, readme)
    return zip_path


def shapefile_readme(info: LayerInfo, metadata: dict[str, str]) -> str:
    """Field-name mapping (Shapefile names are ≤ 10 characters) and the coordinate system."""
    lines = [f"layer: {info.name} ({info.title_zh})"]
    lines += [f"{k}: {v}" for k, v in metadata.items()]
    lines.append("")
    lines.append("shapefile field -> full name (meaning)")
    lines += [f"{f.short:<10} -> {f.name} ({f.title_zh})" for f in info.fields]
    return "\n".join(lines) + "\n"
