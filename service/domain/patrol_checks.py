"""Whether a patrol as a phone sends it is physically plausible (pure: no SQL, no FastAPI).

A patrol is a walk through one grid, recorded by a phone: its times lie between the product's
first year and a few minutes past now (a phone's clock drifts), its track has at least two
distinct positions (a LineString of one repeated point is not a valid geometry: a worker who
never moved finishes without a track), its points come in time order and the whole walk is a
walk, not a 600 km drive. Each refusal says which field and which point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from service.errors import ValidationFailed

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
CLOCK_SKEW = timedelta(minutes=10)
_EARTH_RADIUS_M = 6_371_008.8


def check_time(value: datetime, now: datetime, field: str) -> None:
    """A recorded time between 2000 and a few minutes from now."""
    if not EARLIEST <= value <= now + CLOCK_SKEW:
        raise ValidationFailed(
            f"{field} {value.isoformat()} is not a plausible time (2000 .. now)",
            message_zh="时间不合理（早于 2000 年或晚于当前时间）",
            where={"field": field, "value": value.isoformat()},
        )


def check_track(
    coords: Sequence[tuple[float, float]],
    recorded_at: Sequence[datetime],
    *,
    started_at: datetime,
    ended_at: datetime,
    max_length_m: float,
) -> None:
    """Two distinct positions at least, times in order inside the patrol, a walkable length."""
    if len(set(coords)) < 2:
        raise ValidationFailed(
            "a track needs at least two distinct positions; finish without a track instead",
            message_zh="轨迹至少需要两个不同的位置；原地未动的巡查请不带轨迹结束",
            where={"field": "track", "distinct_points": len(set(coords))},
        )
    _check_times(recorded_at, started_at, ended_at)
    walked = 0.0
    for i in range(1, len(coords)):
        walked += metres(coords[i - 1], coords[i])
        if walked > max_length_m:
            raise ValidationFailed(
                f"track longer than {max_length_m / 1000:g} km at point {i}",
                message_zh=f"轨迹过长（超过 {max_length_m / 1000:g} 公里）",
                where={"field": "track", "point": i, "coordinates": list(coords[i])},
            )


def _check_times(recorded_at: Sequence[datetime], started: datetime, ended: datetime) -> None:
    for i, at in enumerate(recorded_at):
        if not started - CLOCK_SKEW <= at <= ended + CLOCK_SKEW:
            raise ValidationFailed(
                f"recorded_at[{i}] lies outside the patrol's start and end",
                message_zh="轨迹点时间不在巡查开始与结束之间",
                where={"field": "recorded_at", "point": i, "value": at.isoformat()},
            )
        if i and at < recorded_at[i - 1]:
            raise ValidationFailed(
                f"track points out of time order at point {i}",
                message_zh="轨迹点时间顺序颠倒",
                where={"field": "recorded_at", "point": i, "value": at.isoformat()},
            )


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance between two lon/lat points, in metres."""
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * _EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))
