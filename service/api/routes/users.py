"""Account administration (admin) and a user's own password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from service.api.deps import SessionDep, SettingsDep, _token_from, audit_note, require
from service.api.schemas import StrictModel
from service.db.models import AppUser
from service.db.repositories.user_admin import (
    UserSpec,
    change_password,
    create_user,
    deactivate_user,
    find_user,
    get_user,
    list_users,
)
from service.domain.principal import ROLES, Principal
from service.errors import OutsideJurisdiction

router = APIRouter(prefix="/api", tags=["users"])
AdminDep = Annotated[Principal, Depends(require("user:admin"))]


class UserCreate(StrictModel):
    username: str = Field(pattern=r"^[A-Za-z0-9_.-]{2,64}$")
    password: str = Field(max_length=256)
    role: str = Field(pattern="^(" + "|".join(ROLES) + ")$")
    display_name: str = Field(default="", max_length=100)
    district_code: str | None = Field(default=None, pattern=r"^[0-9]{6}$")
    street_code: str | None = Field(default=None, pattern=r"^[0-9]{9}$")
    community_code: str | None = Field(default=None, pattern=r"^[0-9]{12}$")
    department_code: str | None = Field(default=None, pattern=r"^[a-z_]{2,40}$")


class UserPublic(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    district_id: int | None
    street_id: int | None
    community_id: int | None
    department_id: int | None
    is_active: bool


class PasswordChange(StrictModel):
    old_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


class DeactivatePublic(BaseModel):
    user: UserPublic
    revoked_tokens: int


def _public(user: AppUser) -> UserPublic:
    return UserPublic(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        district_id=user.district_id,
        street_id=user.street_id,
        community_id=user.community_id,
        department_id=user.department_id,
        is_active=user.is_active,
    )


@router.post("/users", status_code=201, response_model=UserPublic, summary="Create a user")
def create_user_route(
    body: UserCreate,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    admin: AdminDep,
) -> UserPublic:
    spec = UserSpec(**body.model_dump())
    user = create_user(session, spec, min_password_length=settings.auth.min_password_length)
    # Inside the administrator's jurisdiction (the same rule as listing) and never wider.
    if find_user(session, admin, request.state.scope, user.id) is None:
        raise OutsideJurisdiction(
            "the new account would lie outside your jurisdiction or reach wider than yours",
            message_zh="新账号超出您的管辖范围",
            where={"field": "jurisdiction"},
        )
    audit_note(request, object_type="user", object_id=user.id, username=user.username)
    return _public(user)


@router.get("/users", response_model=list[UserPublic], summary="Users in your jurisdiction")
def list_users_route(request: Request, session: SessionDep, admin: AdminDep) -> list[UserPublic]:
    return [_public(u) for u in list_users(session, admin, request.state.scope)]


@router.post(
    "/users/{user_id}/deactivate",
    response_model=DeactivatePublic,
    summary="Deactivate a user and revoke their tokens",
)
def deactivate_user_route(
    user_id: int, request: Request, session: SessionDep, admin: AdminDep
) -> DeactivatePublic:
    user = get_user(session, admin, request.state.scope, user_id)
    revoked = deactivate_user(session, user)
    audit_note(request, object_type="user", object_id=user.id, revoked_tokens=revoked)
    return DeactivatePublic(user=_public(user), revoked_tokens=revoked)


@router.post("/me/password", status_code=204, summary="Change your own password")
def change_own_password(
    body: PasswordChange,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Annotated[Principal, Depends(require("me:password"))],
) -> None:
    """Needs the old password; every other token and session of yours is revoked."""
    token, _ = _token_from(request)
    revoked = change_password(
        session,
        me.id,
        body.old_password,
        body.new_password,
        keep_token=token,
        min_length=settings.auth.min_password_length,
    )
    audit_note(request, object_type="user", object_id=me.id, revoked_tokens=revoked)
