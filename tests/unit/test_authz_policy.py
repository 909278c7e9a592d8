"""The policy table's shape, and StrictModel's refusal of unknown fields (no mass assignment)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from service.api.schemas import StrictModel
from service.domain.policy import ALL_ROLES, POLICY, TRANSITION_RIGHTS

AGREED = {
    "report:create",
    "report:read",
    "report:transition",
    "report:photo:add",
    "patrol:create",
    "patrol:read",
    "grid:read",
    "grid:edit",
    "grid:assign",
    "grid:check",
    "map:read",
    "stats:read",
    "tile:read",
    "export:read",
    "ogc:read",
    "import:boundary",
    "user:admin",
    "me:read",
}


def test_agreed_actions_are_in_the_table_with_known_roles_and_scopes() -> None:
    assert AGREED <= set(POLICY)
    for action, row in POLICY.items():
        assert set(row) <= set(ALL_ROLES), action
        assert set(row.values()) <= {"area", "district", "all", "self"}, action
    assert set(TRANSITION_RIGHTS) <= set(ALL_ROLES)


def test_who_may_do_what_in_brief() -> None:
    assert POLICY["user:admin"] == {"admin": "all"}
    assert "grid_worker" not in POLICY["export:read"]
    assert POLICY["report:create"]["grid_worker"] == "district"
    assert "department" not in POLICY["report:create"]
    assert POLICY["report:read"]["planner"] == "district"
    assert POLICY["report:read"]["department"] == "district"


class ReportCreateExample(StrictModel):
    category_code: str
    description: str = ""


@pytest.mark.parametrize(
    "field", ["status", "department_id", "street_id", "deadline_at", "grid_cell_id"]
)
def test_strict_model_rejects_fields_the_role_may_not_set(field: str) -> None:
    with pytest.raises(ValidationError) as info:
        ReportCreateExample.model_validate({"category_code": "x", field: "closed"})
    assert info.value.errors()[0]["type"] == "extra_forbidden"
    assert info.value.errors()[0]["loc"] == (field,)
