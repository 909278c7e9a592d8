"""The demo district's real boundary: 郑州市金水区 (410105), shipped in GCJ-02, loaded as WGS84."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, shape

from service.domain.coords import gcj02_to_wgs84

DATA_DIR = Path(__file__).resolve().parent / "data"
JINSHUI_GCJ02 = DATA_DIR / "jinshui_410105_gcj02.geojson"
DISTRICT_CODE = "410105"
DISTRICT_NAME = "金水区"


def _gcj02_to_wgs84_coords(coords: np.ndarray) -> np.ndarray:
    lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
    return np.column_stack([lon, lat])


@lru_cache(maxsize=1)
def load_district_boundary(path: Path = JINSHUI_GCJ02) -> MultiPolygon:
    """The district polygon in WGS84 (converted from the shipped Amap GCJ-02 extract)."""
    raw = shape(json.loads(path.read_text(encoding="utf-8")))
    geom = shapely.transform(raw, _gcj02_to_wgs84_coords)
    if not geom.is_valid:
        geom = shapely.make_valid(geom)
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon"]
    result = MultiPolygon(parts)
    if not result.is_valid or result.is_empty:
        raise ValueError(f"boundary {path.name} is not a valid polygon after conversion")
    return result
