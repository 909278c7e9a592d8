"""GeoJSON and CSV bodies assembled from cursor batches: bytes leave as soon as rows arrive."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
import shapely

from service.domain.export_formats import LayerInfo, neutralise_cell
from service.domain.export_labels import relabel_row

CoordFn = Callable[[np.ndarray], np.ndarray]  # (N, 2) lon/lat -> (N, 2)
BOM = "\ufeff"


def _shift_geojson(geometry: str, fn: CoordFn) -> str:
    geom = shapely.from_geojson(geometry)
    return str(shapely.to_geojson(shapely.transform(geom, fn)))


def _opening(metadata: dict[str, Any]) -> bytes:
    head = {"type": "FeatureCollection", "name": metadata.get("layer"), "metadata": metadata}
    return (json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[\n').encode()


def geojson_from_lines(chunks: Iterable[bytes], metadata: dict[str, Any]) -> Iterator[bytes]:
    """An RFC 7946 FeatureCollection from chunks of lines b",{feature}\\n".

    Every feature arrives with its comma in front; only the very first comma goes.
    """
    yield _opening(metadata)
    first = True
    for lines in chunks:
        if lines:
            yield lines[1:] if first else lines
            first = False
    yield b"]}\n"


def geojson_chunks(
    batches: Iterable[Sequence[Any]],
    metadata: dict[str, Any],
    coord_fn: CoordFn | None = None,
    relabel: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> Iterator[bytes]:
    """An RFC 7946 FeatureCollection from (fid, properties JSON, geometry JSON) rows.

    The geometry is shifted here first when `coord_fn` is given (GCJ-02).
    """
    yield _opening(metadata)
    first = True
    for batch in batches:
        parts = []
        for fid, props, geometry in batch:
            if geometry is not None and coord_fn is not None:
                geometry = _shift_geojson(geometry, coord_fn)
            if relabel is not None:
                props = json.dumps(relabel(json.loads(props)), ensure_ascii=False)
            parts.append(
                f'{{"type":"Feature","id":{json.dumps(fid)},'
                f'"geometry":{geometry or "null"},"properties":{props}}}'
            )
        if parts:
            yield (("" if first else ",\n") + ",\n".join(parts)).encode()
            first = False
    yield b"\n]}\n"


def _shift_wkt(wkt: str, fn: CoordFn) -> str:
    return str(shapely.to_wkt(shapely.transform(shapely.from_wkt(wkt), fn), rounding_precision=8))


def csv_chunks(
    batches: Iterable[Sequence[Any]],
    info: LayerInfo,
    coord_fn: CoordFn | None = None,
    labels_zh: bool = False,
) -> Iterator[bytes]:
    """UTF-8 CSV with BOM (Excel shows Chinese), geometry as WKT, formulas neutralised."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    buf.write(BOM)
    writer.writerow([f.name for f in info.fields] + ["wkt"])
    yield buf.getvalue().encode()
    for batch in batches:
        buf.seek(0)
        buf.truncate()
        for row in batch:
            *values, wkt = row
            if labels_zh:
                values = relabel_row(info, values)
            if wkt is not None and coord_fn is not None:
                wkt = _shift_wkt(wkt, coord_fn)
            writer.writerow([neutralise_cell(v) for v in values] + [wkt or ""])
        yield buf.getvalue().encode()
