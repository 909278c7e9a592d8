"""Who is asking: the authenticated user's role and jurisdiction, with no framework attached."""

from __future__ import annotations

from dataclasses import dataclass

from service.domain.vocabulary import ROLES

__all__ = ["ROLES", "Caller", "Principal"]


@dataclass(frozen=True, slots=True)
class Principal:
    id: int
    username: str
    role: str
    district_id: int | None
    street_id: int | None
    community_id: int | None
    department_id: int | None = None

    @property
    def level(self) -> str:
        """The narrowest level of the jurisdiction: all, district, street or community."""
        if self.role == "admin" and self.district_id is None:
            return "all"
        if self.community_id is not None:
            return "community"
        if self.street_id is not None:
            return "street"
        return "district"


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks, for a route that authenticates inside its own statement (report filing,
    vector tiles): the credentials as sent, not yet checked, and the facts of an audit row."""

    token: str
    digest: str  # what the database keeps of the token
    csrf: str | None  # the CSRF echo of a cookie session; None for a bearer token
    roles: list[str]  # the roles POLICY allows to do `action`
    action: str
    path: str
    client_addr: str
