"""The jurisdiction filter every repository applies to lists, single objects, tiles and exports."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, true

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
    """A WHERE clause restricting rows to what `principal` may see under `scope`."""
    if scope == "all" or (principal.role == "admin" and principal.district_id is None):
        return true()
    if scope == "self":
        return owner_col == principal.id if owner_col is not None else false()
    clause: ColumnElement[bool] = district_col == principal.district_id
    if principal.role == "department" and department_col is not None:
        clause = clause & (department_col == principal.department_id)
    if scope == "district":
        return clause
    if principal.community_id is not None:
        if community_col is None:
            return false()
        return community_col == principal.community_id
    if principal.street_id is not None:
        if street_col is None:
            return false()
        return street_col == principal.street_id
    return clause
