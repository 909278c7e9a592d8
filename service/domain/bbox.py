"""The one parser of a `bbox` query parameter (map reports, report lists, exports and OGC items).

Every route that takes a bbox refuses the same inputs the same way: not four numbers, a number
that is not finite (float() accepts "nan" and "inf", and NaN fails every comparison, so a range
test alone lets it through), outside WGS84's range, empty or inverted, or larger than the
route's cap. The refusal's `where` echoes the raw text (cut short), never a float that JSON
cannot carry.
"""

from __future__ import annotations

import math

from service.errors import ValidationFailed

BBox = tuple[float, float, float, float]
_ECHO_CHARS = 100


def parse_bbox(raw: str, *, max_area: float | None = None) -> BBox:
    """'minLon,minLat,maxLon,maxLat' in WGS84 degrees, finite, in range and not inverted."""
    where = {"field": "bbox", "value": raw[:_ECHO_CHARS]}
    try:
        parts = [float(p) for p in raw.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 4 or not all(math.isfinite(p) for p in parts):
        raise ValidationFailed(
            "bbox must be four finite numbers minLon,minLat,maxLon,maxLat",
            message_zh="bbox 应为 最小经度,最小纬度,最大经度,最大纬度 四个有限数值",
            where=where,
        )
    x1, y1, x2, y2 = parts
    if not (-180 <= x1 < x2 <= 180 and -90 <= y1 < y2 <= 90):
        raise ValidationFailed(
            "bbox out of range, empty or inverted",
            message_zh="bbox 超出范围、为空或顺序颠倒",
            where=where,
        )
    if max_area is not None and (x2 - x1) * (y2 - y1) > max_area:
        raise ValidationFailed(
            f"bbox larger than {max_area} square degrees",
            message_zh="bbox 范围过大",
            where=where,
        )
    return x1, y1, x2, y2
