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
    if principal.district_id is not None and scope == "all":
        scope = "district"  # as `scope_for`: "all" binds an account with a district to it
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


def area_sql(
    action: str,
    *,
    district: str,
    street: str | None = None,
    community: str | None = None,
    me: str = "me",
) -> str:
    """`area_clause` as SQL over an authenticated row `me` (wangge_authenticate's columns), for
    a statement that authenticates and reads at once; the scopes come from POLICY[action], and
    "all" binds an account with a district to that district, as `scope_for` does.

    Column names come from allow-listed layer definitions and role names from POLICY: no input
    is formatted in. Like `area_clause` for tables without department or owner columns.
    """
    from service.domain.policy import POLICY

    by_scope: dict[str, list[str]] = {}
    for role, scope in sorted(POLICY[action].items()):
        by_scope.setdefault(scope, []).append(role)

    def roles(scope: str) -> str:
        return ", ".join(f"'{r}'" for r in by_scope.get(scope, [])) or "NULL"

    allowed = ", ".join(f"'{r}'" for r in sorted(POLICY[action]))
    community_test = f"{community} = {me}.community_id" if community else "false"
    street_test = f"{street} = {me}.street_id" if street else "false"
    return f"""(CASE
      WHEN {me}.role IS NULL OR {me}.role NOT IN ({allowed}) THEN false
      WHEN {me}.role IN ({roles("all")}) AND {me}.district_id IS NOT NULL
        THEN {district} = {me}.district_id
      WHEN {me}.role IN ({roles("all")}) THEN true
      WHEN {me}.role = 'admin' AND {me}.district_id IS NULL THEN true
      WHEN {me}.district_id IS NULL THEN false
      WHEN {me}.role IN ({roles("district")}) THEN {district} = {me}.district_id
      WHEN {me}.role IN ({roles("self")}) THEN false
      WHEN {me}.community_id IS NOT NULL THEN {community_test}
      WHEN {me}.street_id IS NOT NULL THEN {street_test}
      ELSE {district} = {me}.district_id END)"""


def compile_clause(clause: ColumnElement[bool]) -> tuple[str, dict[str, Any]]:
    """SQL text and bound values of a jurisdiction clause, for a hand-written query."""
    from sqlalchemy.dialects.postgresql.base import PGDialect

    dialect = PGDialect(paramstyle="named")  # no driver bind casts: text() must parse it
    compiled = clause.compile(dialect=dialect)
    return str(compiled), dict(compiled.params)
