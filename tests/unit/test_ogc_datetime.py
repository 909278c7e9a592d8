"""The OGC `datetime` parameter becomes the export filter's half-open [since, until)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.domain.ogc_datetime import parse_ogc_datetime
from service.errors import ValidationFailed

T1 = datetime(2026, 1, 1, tzinfo=UTC)
T2 = datetime(2026, 2, 1, 8, 30, tzinfo=UTC)
TICK = timedelta(microseconds=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, (None, None)),
        ("2026-01-01T00:00:00Z", (T1, T1 + TICK)),
        ("2026-01-01T00:00:00Z/2026-02-01T16:30:00+08:00", (T1, T2 + TICK)),
        ("../2026-02-01T08:30:00Z", (None, T2 + TICK)),
        ("2026-01-01T00:00:00Z/..", (T1, None)),
        ("2026-01-01T00:00:00Z/", (T1, None)),
        ("../9999-12-31T23:59:59.999999Z", (None, None)),
    ],
)
def test_instants_and_intervals(text: str | None, expected: tuple) -> None:
    assert parse_ogc_datetime(text) == expected


@pytest.mark.parametrize(
    "text", ["yesterday", "../..", "2026-02-01T00:00:00Z/2026-01-01T00:00:00Z", "2026-13-01"]
)
def test_bad_values_are_refused_with_the_field_named(text: str) -> None:
    with pytest.raises(ValidationFailed) as err:
        parse_ogc_datetime(text)
    assert err.value.where == {"field": "datetime", "value": text}
