"""The authorisation policy in one table: role × action → scope.

Scopes: "area" = inside the user's jurisdiction (district, street or community);
"district" = the user's whole district whatever their level; "all" = everything;
"self" = only records the user owns. A role absent from an action's row may not do it.
Every route declares its action with `require(action)`; the test matrix is built from here.
"""

from __future__ import annotations

from typing import Final

from service.domain.principal import Principal

ALL_ROLES: Final = (
    "grid_worker",
    "community_staff",
    "street_office",
    "district_bureau",
    "department",
    "planner",
    "admin",
)
EVERYONE = {role: "area" for role in ALL_ROLES}

POLICY: Final[dict[str, dict[str, str]]] = {
    "me:read": {role: "self" for role in ALL_ROLES},
    "catalogue:read": {role: "all" for role in ALL_ROLES},
    "boundary:read": {**EVERYONE, "department": "district", "planner": "district"},
    # --- issue 5: field reporting (reports, photos, patrols)
    # Grid workers also see the reports and patrols they filed themselves (repositories add it).
    "report:create": {
        "grid_worker": "area",
        "community_staff": "area",
        "street_office": "area",
        "district_bureau": "area",
        "admin": "all",
    },
    "report:read": {**EVERYONE, "department": "district", "planner": "district"},
    "report:transition": {
        "community_staff": "area",
        "street_office": "area",
        "district_bureau": "area",
        "department": "district",
        "admin": "area",
    },
    "report:photo:add": {
        "grid_worker": "area",
        "community_staff": "area",
        "street_office": "area",
        "district_bureau": "area",
        "department": "district",
        "admin": "area",
    },
    "patrol:create": {"grid_worker": "self", "community_staff": "self"},
    "patrol:read": {
        **{role: scope for role, scope in EVERYONE.items() if role != "department"},
        "grid_worker": "self",
    },
}


def scope_for(principal: Principal, action: str) -> str | None:
    """The scope the principal has for this action, or None when not allowed."""
    rule = POLICY.get(action)
    if rule is None:
        raise KeyError(f"no policy rule for action {action!r}")
    return rule.get(principal.role)
