"""The authorisation policy in one table: role × action → scope.

Scopes: "area" = inside the user's jurisdiction (district, street or community; a grid worker
also sees what they filed); "district" = the user's whole district whatever their level (a
department user: only what is routed to their department); "all" = everything; "self" = only the
user's own records. A role absent from an action's row may not do it (403).
Every route declares its action with `require(action)` or `require_page(action)`; the test
matrix (tests/api/test_authz_matrix.py) is generated from this table and fails for any route
without a rule.
"""

from __future__ import annotations

from typing import Final

from service.domain.principal import Principal
from service.domain.vocabulary import ROLES

ALL_ROLES: Final = ROLES
EVERYONE = {role: "area" for role in ALL_ROLES}
# Roles whose reach is a district rather than an area of their own.
DISTRICT_WIDE = {"department": "district", "planner": "district", "admin": "all"}
STAFF = {
    "community_staff": "area",
    "street_office": "area",
    "district_bureau": "area",
    "admin": "all",
}

POLICY: Final[dict[str, dict[str, str]]] = {
    "me:read": {role: "self" for role in ALL_ROLES},
    "catalogue:read": {role: "all" for role in ALL_ROLES},
    "boundary:read": {**EVERYONE, **DISTRICT_WIDE},
    # --- accounts, reports, patrols, grids, maps and statistics (map:read, tile:read,
    # stats:read: department and planner see their whole district)
    "user:admin": {"admin": "all"},
    "me:password": {role: "self" for role in ALL_ROLES},
    # A grid worker files in any grid of their district (listed against their own).
    "report:create": {
        "grid_worker": "district",
        "community_staff": "district",
        "street_office": "district",
        "district_bureau": "district",
        "admin": "all",
    },
    "report:read": {**EVERYONE, **DISTRICT_WIDE},
    # Which status changes each role may make is TRANSITION_RIGHTS below.
    "report:transition": {
        "grid_worker": "area",
        **STAFF,
        "department": "district",
    },
    "report:photo:add": {"grid_worker": "area", **STAFF, "department": "district"},
    # the case-handling workbench (/work, /api/cases): queues of what the role works on; a
    # grid worker's queues are their own reports and the handled ones in their cells
    "case:read": {"grid_worker": "area", **STAFF, "department": "district"},
    # an assisting department (联合处置) moves its own part of a report
    "case:assist": {"department": "district"},
    "patrol:create": {"grid_worker": "area", "community_staff": "area", "admin": "all"},
    "patrol:read": {
        "grid_worker": "area",
        **STAFF,
        "planner": "district",
    },
    "grid:read": {**EVERYONE, **DISTRICT_WIDE},
    # community staff and street offices generate, split, merge and assign cells and see the
    # integrity findings on their grid pages
    "grid:edit": dict(STAFF),
    "grid:assign": dict(STAFF),
    "grid:check": {**STAFF, "planner": "district"},
    "map:read": {**EVERYONE, **DISTRICT_WIDE},
    "tile:read": {**EVERYONE, **DISTRICT_WIDE},
    "stats:read": {**EVERYONE, **DISTRICT_WIDE},
    # --- exports, OGC API – Features, boundary import
    "export:read": {
        "community_staff": "area",
        "street_office": "area",
        "district_bureau": "district",
        "department": "area",
        "planner": "district",
        "admin": "all",
    },
    "ogc:read": {
        "community_staff": "area",
        "street_office": "area",
        "district_bureau": "district",
        "department": "area",
        "planner": "district",
        "admin": "all",
    },
    "import:boundary": {"district_bureau": "district", "admin": "all"},
    # --- reliability (geometry checks offered to every client)
    "geometry:validate": {role: "all" for role in ALL_ROLES},
    # --- 小区 records, property companies and their assessment (docs/records.md)
    "residential_area:read": {**EVERYONE, **DISTRICT_WIDE},
    # community staff and street offices keep the records of their own 小区
    "residential_area:edit": {"community_staff": "area", "street_office": "area", "admin": "all"},
    # the registry, grades and lists are public facts (also on /public)
    "company:read": {role: "all" for role in ALL_ROLES},
    "company:edit": {"district_bureau": "district", "admin": "all"},
    # communities and streets score the companies serving the 小区 in their area
    "assessment:write": {"community_staff": "area", "street_office": "area", "admin": "all"},
    "assessment:read": {**STAFF, "planner": "district"},
    # the district combines the quarter's scores into grades and keeps the lists
    "grade:decide": {"district_bureau": "district", "admin": "all"},
    # --- residents' voice (docs/residents.md): community staff and street offices register
    # complaints in their own area; the district takes in the 12345 hotline's work orders
    "complaint:create": dict(STAFF),
    "hotline:import": {"district_bureau": "district", "admin": "all"},
    # 回访 after 销号 of a resident's case, by the staff who handle it
    "case:revisit": dict(STAFF),
    # performance assessment of streets, communities and departments (a department: its own)
    "performance:read": {**STAFF, "department": "district", "planner": "district"},
    # joint meetings (联席会议): staff record their level's meetings; a department reads the
    # meetings it attends and marks its own decisions done
    "meeting:read": {**STAFF, "department": "district"},
    "meeting:write": dict(STAFF),
    "meeting:follow_up": {**STAFF, "department": "district"},
    # resident satisfaction surveys per 小区: staff of the 小区 make its public link and enter
    # sheets; the results are read by staff (they feed the property company assessment)
    "survey:write": {"community_staff": "area", "street_office": "area", "admin": "all"},
    "survey:read": dict(STAFF),
}

# Status changes (from, to) each role may make on a report it may see. Everything else is
# refused even with the "report:transition" right: a grid worker verifies a fix on site but can
# never accept, dispatch or close (not even their own report); a department only works on
# what was dispatched to it.
_TRIAGE = {
    ("reported", "accepted"),
    ("reported", "rejected"),
    ("accepted", "dispatched"),
    ("handled", "verified"),
    ("handled", "in_progress"),
    ("verified", "closed"),
}
# A department works what was dispatched to it, and returns (退回) a misrouted report to the
# dispatcher: back to accepted, to be dispatched again.
_HANDLING = {
    ("dispatched", "in_progress"),
    ("in_progress", "handled"),
    ("dispatched", "accepted"),
    ("in_progress", "accepted"),
}
TRANSITION_RIGHTS: Final[dict[str, frozenset[tuple[str, str]]]] = {
    # on site: 核查通过 (verified) or 核查不通过 (back to in_progress)
    "grid_worker": frozenset({("handled", "verified"), ("handled", "in_progress")}),
    "community_staff": frozenset(_TRIAGE),
    "street_office": frozenset(_TRIAGE),
    "district_bureau": frozenset(_TRIAGE),
    "department": frozenset(_HANDLING),
    "admin": frozenset(_TRIAGE | _HANDLING),
}


def scope_for(principal: Principal, action: str) -> str | None:
    """The scope the principal has for this action, or None when not allowed.

    "all" means everything only for an account bound to no district: an administrator who
    belongs to a district gets that district, for every action, in every repository.
    """
    rule = POLICY.get(action)
    if rule is None:
        raise KeyError(f"no policy rule for action {action!r}")
    scope = rule.get(principal.role)
    if scope == "all" and principal.district_id is not None:
        return "district"
    return scope


LEVEL_RANK: Final = {"community": 0, "street": 1, "district": 2, "all": 3}


def reaches_wider(target: Principal, actor: Principal) -> bool:
    """Whether the account `target` reaches wider than `actor` (an admin without a district
    over a district-bound one, a district account over a street's): such an account may not be
    created, deactivated or changed by `actor`, even inside the actor's jurisdiction."""
    return LEVEL_RANK[target.level] > LEVEL_RANK[actor.level]


def may_transition(role: str, from_status: str, to_status: str) -> bool:
    """Whether `role` may move a report it can see from one status to another."""
    return (from_status, to_status) in TRANSITION_RIGHTS.get(role, frozenset())
