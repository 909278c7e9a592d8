"""The jurisdiction rule, written once and rendered two ways.

`area_clause` renders it as a SQLAlchemy clause for a known user (every repository's filter);
`area_sql` renders the same steps as SQL over an authenticated row `me`, for the statements that
authenticate and read at once (tiles). The row-level security policies of the migrations are the
second line under both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, false, or_, true

from service.domain.principal import Principal

T = TypeVar("T")


@dataclass(frozen=True)
class AreaColumns:
    """Where a table keeps its area codes; `owner` (e.g. report.reporter_id) is whose row it is
    and `department` where it is routed, for tables that have them."""

    district: Any
    street: Any = None
    community: Any = None
    department: Any = None
    owner: Any = None


class _Renderer(Protocol, Generic[T]):
    """What the rule needs to ask about the user and to say about a row."""

    def scope_is(self, scope: str) -> Any: ...
    def admin_at_large(self) -> Any: ...
    def lacks(self, attr: str) -> Any: ...
    def has(self, attr: str) -> Any: ...
    def everything(self) -> T: ...
    def nothing(self) -> T: ...
    def same(self, column: Any, attr: str) -> T: ...
    def first(self, steps: list[tuple[Any, T]], otherwise: T) -> T: ...
    def only_if_role(self, role: str, base: T, narrower: T) -> T: ...
    def also_if_role(self, role: str, base: T, wider: T) -> T: ...


def _rule(r: _Renderer[T], c: AreaColumns) -> T:
    """The rule: the first step whose test holds decides.

    Scope "all", or an admin with no district: everything. Scope "self": the user's own rows
    only. Otherwise the user's level: nothing without a district; the district for scope
    "district"; else the community, the street or the district the user belongs to. A department
    user sees only rows routed to their department; a grid worker also sees their own rows
    (this is the only place that says so).
    """
    level = r.first(
        [
            (r.lacks("district_id"), r.nothing()),
            (r.scope_is("district"), r.same(c.district, "district_id")),
            (r.has("community_id"), r.same(c.community, "community_id")),
            (r.has("street_id"), r.same(c.street, "street_id")),
        ],
        otherwise=r.same(c.district, "district_id"),
    )
    if c.department is not None:
        level = r.only_if_role("department", level, r.same(c.department, "department_id"))
    if c.owner is not None:
        level = r.also_if_role("grid_worker", level, r.same(c.owner, "id"))
    return r.first(
        [
            (r.scope_is("all"), r.everything()),
            (r.admin_at_large(), r.everything()),
            (r.scope_is("self"), r.same(c.owner, "id")),
        ],
        otherwise=level,
    )


class _Clause:
    """The rule for one known user and scope: the tests are decided here, in Python."""

    def __init__(self, principal: Principal, scope: str) -> None:
        self.p = principal
        self.scope = scope

    def scope_is(self, scope: str) -> bool:
        return self.scope == scope

    def admin_at_large(self) -> bool:
        return self.p.role == "admin" and self.p.district_id is None

    def lacks(self, attr: str) -> bool:
        return getattr(self.p, attr) is None

    def has(self, attr: str) -> bool:
        return getattr(self.p, attr) is not None

    def everything(self) -> ColumnElement[bool]:
        return true()

    def nothing(self) -> ColumnElement[bool]:
        return false()

    def same(self, column: Any, attr: str) -> ColumnElement[bool]:
        return false() if column is None else column == getattr(self.p, attr)  # type: ignore[no-any-return]

    def first(
        self, steps: list[tuple[bool, ColumnElement[bool]]], otherwise: ColumnElement[bool]
    ) -> ColumnElement[bool]:
        return next((then for test, then in steps if test), otherwise)

    def only_if_role(
        self, role: str, base: ColumnElement[bool], narrower: ColumnElement[bool]
    ) -> ColumnElement[bool]:
        return base & narrower if self.p.role == role else base

    def also_if_role(
        self, role: str, base: ColumnElement[bool], wider: ColumnElement[bool]
    ) -> ColumnElement[bool]:
        return or_(base, wider) if self.p.role == role else base


class _Sql:
    """The rule over a row `me` known only to the database: the tests become CASE branches.
    Column names come from allow-listed layer definitions and role names from POLICY."""

    def __init__(self, scopes: dict[str, str], me: str) -> None:
        self.scopes = scopes  # role -> scope, for one action
        self.me = me

    def _roles(self, roles: list[str]) -> str:
        return ", ".join(f"'{role}'" for role in sorted(roles))

    def scope_is(self, scope: str) -> str:
        roles = [role for role, s in self.scopes.items() if s == scope]
        return f"{self.me}.role IN ({self._roles(roles)})" if roles else "false"

    def admin_at_large(self) -> str:
        return f"{self.me}.role = 'admin' AND {self.me}.district_id IS NULL"

    def lacks(self, attr: str) -> str:
        return f"{self.me}.{attr} IS NULL"

    def has(self, attr: str) -> str:
        return f"{self.me}.{attr} IS NOT NULL"

    def everything(self) -> str:
        return "true"

    def nothing(self) -> str:
        return "false"

    def same(self, column: Any, attr: str) -> str:
        return "false" if column is None else f"{column} = {self.me}.{attr}"

    def first(self, steps: list[tuple[str, str]], otherwise: str) -> str:
        branches = "".join(f"\n      WHEN {test} THEN {then}" for test, then in steps)
        return f"(CASE{branches}\n      ELSE {otherwise} END)"

    def only_if_role(self, role: str, base: str, narrower: str) -> str:
        return f"({base} AND ({self.me}.role <> '{role}' OR {narrower}))"

    def also_if_role(self, role: str, base: str, wider: str) -> str:
        return f"({base} OR ({self.me}.role = '{role}' AND {wider}))"


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
    columns = AreaColumns(district_col, street_col, community_col, department_col, owner_col)
    return _rule(_Clause(principal, scope), columns)


def area_sql(
    action: str,
    *,
    district: str,
    street: str | None = None,
    community: str | None = None,
    department: str | None = None,
    owner: str | None = None,
    me: str = "me",
) -> str:
    """`area_clause` as SQL over an authenticated row `me` (wangge_authenticate's columns), for
    a statement that authenticates and reads at once; the scopes come from POLICY[action], and
    a missing user or a role without a rule for `action` sees nothing."""
    from service.domain.policy import POLICY

    scopes = POLICY[action]
    sql = _Sql(scopes, me)
    allowed = sql._roles(list(scopes))
    rule = _rule(sql, AreaColumns(district, street, community, department, owner))
    refused = f"{me}.role IS NULL OR {me}.role NOT IN ({allowed})"
    return f"(CASE WHEN {refused} THEN false\n ELSE {rule} END)"


def compile_clause(clause: ColumnElement[bool]) -> tuple[str, dict[str, Any]]:
    """SQL text and bound values of a jurisdiction clause, for a hand-written query."""
    from sqlalchemy.dialects.postgresql.base import PGDialect

    dialect = PGDialect(paramstyle="named")  # no driver bind casts: text() must parse it
    compiled = clause.compile(dialect=dialect)
    return str(compiled), dict(compiled.params)
