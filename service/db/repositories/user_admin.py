"""Creating and deactivating users, jurisdiction given by codes."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from service.db.jurisdiction import area_clause
from service.db.models import AppUser, Community, Department, District, Street
from service.db.repositories.users import revoke_user_tokens
from service.domain.passwords import hash_password, verify_password
from service.domain.policy import reaches_wider
from service.domain.principal import ROLES, Principal
from service.errors import Conflict, OutsideJurisdiction, ValidationFailed


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


def create_user(session: Session, spec: UserSpec, *, min_password_length: int = 4) -> AppUser:
    """Insert a user; the district is derived from the street or community when given."""
    if spec.role not in ROLES:
        raise ValidationFailed(f"unknown role {spec.role!r}", where={"field": "role"})
    _check_password(spec.password, min_password_length)
    _check_jurisdiction_fits_role(spec)
    _check_fields_fit_role(spec)
    # Case-insensitive, like the unique index on lower(username): "Admin" is "admin".
    taken = session.scalar(
        select(AppUser.username).where(func.lower(AppUser.username) == spec.username.lower())
    )
    if taken:
        raise Conflict(
            f"user {taken!r} exists (usernames ignore case)",
            message_zh="用户名已存在（不区分大小写）",
            where={"field": "username"},
        )
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


def list_users(session: Session, principal: Principal, scope: str) -> list[AppUser]:
    """Users inside the administrator's jurisdiction, by username."""
    where = area_clause(
        principal,
        scope,
        district_col=AppUser.district_id,
        street_col=AppUser.street_id,
        community_col=AppUser.community_id,
    )
    return list(session.scalars(select(AppUser).where(where).order_by(AppUser.username)))


def find_user(session: Session, principal: Principal, scope: str, user_id: int) -> AppUser | None:
    """One user the administrator may manage: inside the jurisdiction and not reaching wider
    than the administrator (an admin without a district is out of a district admin's reach)."""
    where = area_clause(
        principal,
        scope,
        district_col=AppUser.district_id,
        street_col=AppUser.street_id,
        community_col=AppUser.community_id,
    )
    user = session.scalar(select(AppUser).where(AppUser.id == user_id, where))
    if user is None or reaches_wider(principal_of(user), principal):
        return None
    return user


def get_user(session: Session, principal: Principal, scope: str, user_id: int) -> AppUser:
    """`find_user`, else 404 (existence is never confirmed)."""
    user = find_user(session, principal, scope, user_id)
    if user is None:
        raise OutsideJurisdiction("no such user", message_zh="用户不存在", where={"id": user_id})
    return user


def principal_of(user: AppUser) -> Principal:
    """The account's role and jurisdiction, as the policy sees a caller."""
    return Principal(
        user.id,
        user.username,
        user.role,
        user.district_id,
        user.street_id,
        user.community_id,
        user.department_id,
    )


def deactivate_user(session: Session, user: AppUser) -> int:
    """Deactivate and revoke every token; returns how many tokens were revoked."""
    user.is_active = False
    session.flush()
    return revoke_user_tokens(session, user.id)


def change_password(
    session: Session, user_id: int, old: str, new: str, *, keep_token: str | None, min_length: int
) -> int:
    """Check the old password, store the new one, revoke the user's other tokens."""
    user = session.get(AppUser, user_id)
    if user is None or not verify_password(user.password_hash, old):
        raise ValidationFailed(
            "old password is wrong", message_zh="原密码错误", where={"field": "old_password"}
        )
    _check_password(new, min_length)
    if old == new:
        raise ValidationFailed(
            "new password equals the old one",
            message_zh="新密码不能与原密码相同",
            where={"field": "new_password"},
        )
    user.password_hash = hash_password(new)
    session.flush()
    return revoke_user_tokens(session, user.id, keep_token=keep_token)


def _check_password(password: str, min_length: int) -> None:
    if len(password) < min_length:
        raise ValidationFailed(
            f"password shorter than {min_length} characters",
            message_zh=f"密码至少 {min_length} 位",
            where={"field": "password"},
        )


_NEEDS = {
    "grid_worker": ("community_code", "community"),
    "community_staff": ("community_code", "community"),
    "street_office": ("street_code", "street"),
}


def _check_jurisdiction_fits_role(spec: UserSpec) -> None:
    """Say which field is missing instead of letting a database CHECK fail."""
    codes = [spec.district_code, spec.street_code, spec.community_code]
    if sum(c is not None for c in (spec.street_code, spec.community_code)) > 1:
        raise ValidationFailed("give one of street or community", where={"field": "community_code"})
    if spec.role in _NEEDS:
        field, label = _NEEDS[spec.role]
        if getattr(spec, field) is None:
            raise ValidationFailed(
                f"role {spec.role} needs a {label}",
                message_zh="该角色需要指定辖区",
                where={"field": field},
            )
    if spec.role != "admin" and not any(codes):
        raise ValidationFailed(
            f"role {spec.role} needs a jurisdiction",
            message_zh="该角色需要指定辖区",
            where={"field": "district_code"},
        )
    if spec.role == "department" and not spec.department_code:
        raise ValidationFailed(
            "role department needs a department",
            message_zh="部门用户需要指定部门",
            where={"field": "department_code"},
        )


# The fields each role may carry; anything else is refused rather than stored unused.
_FITS: dict[str, frozenset[str]] = {
    "grid_worker": frozenset({"community_code"}),
    "community_staff": frozenset({"community_code"}),
    "street_office": frozenset({"street_code"}),
    "district_bureau": frozenset({"district_code"}),
    "department": frozenset({"district_code", "street_code", "department_code"}),
    "planner": frozenset({"district_code", "street_code", "community_code"}),
    "admin": frozenset({"district_code"}),
}
_FIELD_ZH = {
    "district_code": "区县",
    "street_code": "街道",
    "community_code": "社区",
    "department_code": "部门",
}


def _check_fields_fit_role(spec: UserSpec) -> None:
    """A worker with a department, a street office with a community: refused, not stored."""
    for name in ("district_code", "street_code", "community_code", "department_code"):
        if getattr(spec, name) is not None and name not in _FITS[spec.role]:
            raise ValidationFailed(
                f"role {spec.role} does not take {name}",
                message_zh=f"该角色不能指定{_FIELD_ZH[name]}",
                where={"field": name, "role": spec.role},
            )


def user_rows(session: Session, *, include_inactive: bool) -> list[tuple[object, ...]]:
    """username, role, active, district/street/community/department codes (for the CLI)."""
    stmt = (
        select(
            AppUser.username,
            AppUser.role,
            AppUser.is_active,
            District.code,
            Street.code,
            Community.code,
            Department.code,
        )
        .outerjoin(District, District.id == AppUser.district_id)
        .outerjoin(Street, Street.id == AppUser.street_id)
        .outerjoin(Community, Community.id == AppUser.community_id)
        .outerjoin(Department, Department.id == AppUser.department_id)
        .order_by(AppUser.username)
    )
    if not include_inactive:
        stmt = stmt.where(AppUser.is_active.is_(True))
    return [tuple(r) for r in session.execute(stmt)]
