"""Staff file anywhere in their district (POLICY: report:create is district-wide): a street
office or a community filing just outside its own area gets 201, the report lands in the
neighbour's area (the neighbour sees it), and the filer reads back what they filed. It used to
be a row-level-security violation inside the filing function: 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from tests.api.field_helpers import report_body


def _point_in_street_of(engine: Engine, username: str, *, other: bool) -> tuple[float, float]:
    """A point in a grid cell of `username`'s street (or of another street of its district)."""
    with engine.connect() as conn:
        x, y = conn.execute(
            text(
                "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(gc.geom) p"
                " FROM app_user u JOIN community uc ON uc.id = u.community_id"
                " OR uc.street_id = u.street_id"
                " JOIN street us ON us.id = uc.street_id"
                " JOIN street s ON s.district_id = us.district_id"
                "  AND (s.id <> us.id) = :other"
                " JOIN community c ON c.street_id = s.id"
                " JOIN grid_cell gc ON gc.community_id = c.id AND gc.is_active"
                " WHERE u.username = :u ORDER BY gc.code LIMIT 1) q"
            ),
            {"u": username, "other": other},
        ).one()
    return float(x), float(y)


@pytest.mark.parametrize("filer", ["street1", "community1"])
def test_filing_next_door_is_201_and_lands_with_the_neighbour(
    client: TestClient, auth_headers, owner_engine: Engine, filer: str
) -> None:  # type: ignore[no-untyped-def]
    spot = _point_in_street_of(owner_engine, filer, other=True)
    body = report_body(*spot)
    r = client.post("/api/reports", json=body, headers=auth_headers[filer])
    assert r.status_code == 201, r.text
    street_code = r.json()["street_code"]
    with owner_engine.connect() as conn:
        own_street = conn.execute(
            text(
                "SELECT s.code FROM app_user u LEFT JOIN community c ON c.id = u.community_id"
                " JOIN street s ON s.id = coalesce(u.street_id, c.street_id)"
                " WHERE u.username = :u"
            ),
            {"u": filer},
        ).scalar_one()
    assert street_code != own_street
    # The neighbouring street sees it; the district sees it; a retry replays, never 500.
    assert client.get(f"/api/reports/{body['id']}", headers=auth_headers["district"]).is_success
    again = client.post("/api/reports", json=body, headers=auth_headers[filer])
    assert again.status_code in (200, 201), again.text
