"""The OGC API – Features `datetime` parameter: an instant or a closed interval, '..' open.

Returned as the half-open [since, until) pair the export filter uses; the interval's end is
inclusive in the standard, so `until` is one microsecond after it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from service.errors import ValidationFailed

_TICK = timedelta(microseconds=1)


def parse_ogc_datetime(text: str | None) -> tuple[datetime | None, datetime | None]:
    """'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z/2026-02-01T00:00:00Z', '../…', '…/..'."""
    if not text:
        return None, None
    if "/" not in text:
        instant = _instant(text, text)
        return instant, _after(instant)
    start_text, _, end_text = text.partition("/")
    start = None if start_text in ("", "..") else _instant(start_text, text)
    end = None if end_text in ("", "..") else _instant(end_text, text)
    if start is None and end is None:
        raise _bad(text, "an interval needs at least one end")
    if start is not None and end is not None and end < start:
        raise _bad(text, "the interval ends before it starts")
    return start, (_after(end) if end is not None else None)


def _after(moment: datetime) -> datetime | None:
    """One tick later; None (no upper bound) at the very end of the calendar."""
    try:
        return moment + _TICK
    except OverflowError:
        return None


def _instant(value: str, whole: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise _bad(whole, f"{value!r} is not an RFC 3339 date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _bad(text: str, why: str) -> ValidationFailed:
    return ValidationFailed(
        f"datetime {why} (e.g. 2026-01-01T00:00:00Z or 2026-01-01T00:00:00Z/..)",
        message_zh="datetime 参数格式错误：应为时间点或“开始/结束”区间（开放端用 ..）",
        where={"field": "datetime", "value": text},
    )
