"""The jurisdiction filter every repository applies to lists, single objects, tiles and exports.

It states in SQLAlchemy the same rule the row-level security policies of migration 003_auth
state in SQL; the application filter is the first line, RLS the second.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from service.domain.principal import Principal


def area_clause(
    principal: Principal,
    scope: str,
    *,
    district_col: Any,
    street_col: Any = None,
    community_col: Any = None,
    department_col: Any = None,
    owner_col: Any = None,
) -> ColumnElement[bool]:
    """A WHERE clause restricting rows to what `principal` may see under `scope`.

    `owner_col` (e.g. report.reporter_id) lets a grid worker also see what they filed, and is
    the only column that counts for scope "self".
    """
    if scope == "all" or (principal.role == "admin" and principal.district_id is None):
        return true()
    if scope == "self":
        return owner_col == principal.id if owner_col is not None else false()
    clause = _level_clause(principal, scope, district_col, street_col, community_col)
    if principal.role == "department" and department_col is not None:
        # Routed objects (reports): only those routed to the user's department.
        clause = clause & (department_col == principal.department_id)
    if principal.role == "grid_worker" and owner_col is not None:
        clause = or_(clause, owner_col == principal.id)
    return clause


def _level_clause(
    principal: Principal, scope: str, district_col: Any, street_col: Any, community_col: Any
) -> ColumnElement[bool]:
    if principal.district_id is None:
        return false()
    if scope == "district":
        return district_col == principal.district_id  # type: ignore[no-any-return]
    if principal.community_id is not None:
        if community_col is None:
            return false()
        return community_col == principal.community_id  # type: ignore[no-any-return]
    if principal.street_id is not None:
        if street_col is None:
            return false()
        return street_col == principal.street_id  # type: ignore[no-any-return]
    return district_col == principal.district_id  # type: ignore[no-any-return]
