"""The application's jurisdiction filter alone (owner connection: no row-level security)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from service.db.models import AppUser, Report
from service.db.repositories.reports import report_area_clause
from service.db.repositories.users import principal_of
from service.domain.policy import POLICY
from tests.fixtures_authz import World

EXPECTED = {
    "mx_street": {"own", "urban"},
    "mx_community": {"own", "urban"},
    "mx_worker": {"own", "urban"},
    "mx_rep_sibling": {"sibling"},
    "mx_rep_other": {"other"},  # outside their district, but they filed it
    "mx_street2": {"sibling"},
    "mx_district": {"own", "sibling", "urban"},
    "mx_planner": {"own", "sibling", "urban"},
    "mx_fire": {"own", "sibling"},
    "mx_admin": {"own", "sibling", "other", "urban"},
}


@pytest.mark.parametrize(("username", "expected"), sorted(EXPECTED.items()))
def test_area_clause_per_user(
    owner_engine: Engine, world: World, username: str, expected: set[str]
) -> None:
    names = {**{v: k for k, v in world.reports.items()}, world.other_department_report: "urban"}
    with Session(owner_engine) as session:
        user = session.scalar(select(AppUser).where(AppUser.username == username))
        assert user is not None
        principal = principal_of(user)
        scope = POLICY["report:read"][principal.role]
        ids = session.scalars(
            select(Report.id).where(
                Report.id.in_(list(names)), report_area_clause(principal, scope)
            )
        )
        assert {names[i] for i in ids} == expected
