"""The one parser of a `bbox` query parameter: minLon,minLat,maxLon,maxLat in WGS84 degrees."""

from __future__ import annotations

import math

from service.errors import ValidationFailed

BBox = tuple[float, float, float, float]


def parse_bbox(text: str | None, *, max_area: float | None = None) -> BBox | None:
    """An optional bbox: None when absent, else as `bbox_value` checks it."""
    return bbox_value(text, max_area=max_area) if text else None


def bbox_value(text: str, *, max_area: float | None = None) -> BBox:
    """Four finite numbers, inside the world, min below max, and (when given) at most
    `max_area` square degrees. A refusal names the field and the value."""
    where = {"field": "bbox", "value": text[:100]}
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise ValidationFailed(
            "bbox must be minLon,minLat,maxLon,maxLat",
            message_zh="bbox 格式应为 最小经度,最小纬度,最大经度,最大纬度",
            where=where,
        )
    x1, y1, x2, y2 = parts
    if not (-180 <= x1 < x2 <= 180 and -90 <= y1 < y2 <= 90):
        raise ValidationFailed(
            "bbox out of range or inverted", message_zh="bbox 超出范围或顺序颠倒", where=where
        )
    if max_area is not None and (x2 - x1) * (y2 - y1) > max_area:
        raise ValidationFailed(
            f"bbox is larger than {max_area:g} square degrees",
            message_zh="bbox 范围过大",
            where=where,
        )
    return (x1, y1, x2, y2)
