"""Does row-level security apply to the role the app connects as?

The policies in the migrations are the second line of defence behind the route checks. They
do nothing for a superuser, a role with BYPASSRLS, or the owner of a table (unless the table
forces RLS), so a WANGGE_DATABASE_URL naming such a role silently removes them. The app checks
every new connection of its pools and refuses to work on one that bypasses RLS, unless
WANGGE_ALLOW_RLS_BYPASS=1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from psycopg.rows import tuple_row
from sqlalchemy import Engine, event

# owner: pg_has_role(..., 'USAGE') is how PostgreSQL itself decides ownership for RLS
# (a member that inherits the owner role counts as the owner).
ROLE_SQL = """
SELECT current_user::text, r.rolsuper, r.rolbypassrls,
       coalesce((SELECT array_agg(c.relname::text ORDER BY c.relname)
                   FROM pg_class c
                  WHERE c.relrowsecurity AND NOT c.relforcerowsecurity
                    AND pg_has_role(current_user, c.relowner, 'USAGE')), '{}')
  FROM pg_roles r
 WHERE r.rolname = current_user
"""


@dataclass(frozen=True)
class RoleStatus:
    """The app's database role and what lets it bypass row-level security, if anything."""

    name: str
    superuser: bool
    bypassrls: bool
    owned_rls_tables: list[str] = field(default_factory=list)

    @property
    def bypass_reasons(self) -> list[str]:
        reasons = []
        if self.superuser:
            reasons.append("superuser")
        if self.bypassrls:
            reasons.append("BYPASSRLS")
        if self.owned_rls_tables:
            shown = ", ".join(self.owned_rls_tables[:5])
            more = "…" if len(self.owned_rls_tables) > 5 else ""
            reasons.append(f"owner of the row-level-security tables ({shown}{more})")
        return reasons

    @property
    def rls_applies(self) -> bool:
        return not self.bypass_reasons

    def public(self) -> dict[str, Any]:
        return {"role": self.name, "rls_applies": self.rls_applies, "bypass": self.bypass_reasons}


class RlsBypassed(RuntimeError):
    """The app's database role bypasses row-level security and that was not allowed."""

    def __init__(self, status: RoleStatus) -> None:
        self.status = status
        super().__init__(
            f"refusing to run: database role {status.name!r} bypasses row-level security"
            f" ({'; '.join(status.bypass_reasons)}). Point WANGGE_DATABASE_URL at the app role"
            " (wangge_app: NOSUPERUSER NOBYPASSRLS, owns nothing), or set"
            " WANGGE_ALLOW_RLS_BYPASS=1 to run without that line of defence knowingly."
        )


def role_status_from_row(row: Any) -> RoleStatus:
    name, superuser, bypassrls, owned = row
    return RoleStatus(name, bool(superuser), bool(bypassrls), list(owned or []))


def check_dbapi_connection(dbapi_conn: Any, allow_bypass: bool) -> RoleStatus:
    """Read the role of a fresh psycopg connection (sync); RlsBypassed unless allowed."""
    with dbapi_conn.cursor() as cur:
        cur.execute(ROLE_SQL)
        status = role_status_from_row(cur.fetchone())
    if not dbapi_conn.autocommit:
        dbapi_conn.rollback()
    if not status.rls_applies and not allow_bypass:
        raise RlsBypassed(status)
    return status


async def check_async_connection(conn: Any, allow_bypass: bool) -> RoleStatus:
    """The same for an asynchronous psycopg connection (autocommit, the async pool's)."""
    async with conn.cursor(row_factory=tuple_row) as cur:
        await cur.execute(ROLE_SQL)
        status = role_status_from_row(await cur.fetchone())
    if not status.rls_applies and not allow_bypass:
        raise RlsBypassed(status)
    return status


def install_role_guard(engine: Engine, allow_bypass: bool) -> None:
    """Check every new connection of `engine` before it is used (one catalogue query)."""

    @event.listens_for(engine, "connect")
    def _check(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        check_dbapi_connection(dbapi_conn, allow_bypass)
