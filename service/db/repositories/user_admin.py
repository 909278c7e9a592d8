"""Creating and deactivating users, jurisdiction given by codes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.db.models import AppUser, Community, Department, District, Street
from service.domain.passwords import hash_password
from service.domain.principal import ROLES
from service.errors import Conflict, ValidationFailed


@dataclass(frozen=True)
class UserSpec:
    username: str
    password: str
    role: str
    district_code: str | None = None
    street_code: str | None = None
    community_code: str | None = None
    department_code: str | None = None
    display_name: str = ""


def create_user(session: Session, spec: UserSpec) -> AppUser:
    """Insert a user; the district is derived from the street or community when given."""
    if spec.role not in ROLES:
        raise ValidationFailed(f"unknown role {spec.role!r}", where={"field": "role"})
    if len(spec.password) < 4:
        raise ValidationFailed("password too short", where={"field": "password"})
    if session.scalar(select(AppUser.id).where(AppUser.username == spec.username)):
        raise Conflict(f"user {spec.username!r} exists", where={"field": "username"})
    district_id = street_id = community_id = department_id = None
    if spec.community_code:
        found = session.execute(
            select(Community.id, Street.district_id)
            .join(Street, Street.id == Community.street_id)
            .where(Community.code == spec.community_code)
        ).first()
        if found is None:
            raise ValidationFailed("unknown community", where={"community": spec.community_code})
        community_id, district_id = found
    elif spec.street_code:
        row = session.execute(
            select(Street.id, Street.district_id).where(Street.code == spec.street_code)
        ).first()
        if row is None:
            raise ValidationFailed("unknown street", where={"street": spec.street_code})
        street_id, district_id = row
    elif spec.district_code:
        district_id = session.scalar(select(District.id).where(District.code == spec.district_code))
        if district_id is None:
            raise ValidationFailed("unknown district", where={"district": spec.district_code})
    if spec.department_code:
        department_id = session.scalar(
            select(Department.id).where(Department.code == spec.department_code)
        )
        if department_id is None:
            raise ValidationFailed("unknown department", where={"department": spec.department_code})
    user = AppUser(
        username=spec.username,
        display_name=spec.display_name,
        password_hash=hash_password(spec.password),
        role=spec.role,
        district_id=district_id,
        street_id=street_id,
        community_id=community_id,
        department_id=department_id,
        is_active=True,
    )
    session.add(user)
    session.flush()
    return user
