"""Login (OAuth2 password flow), logout and who-am-I."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel
from sqlalchemy import select

from service.api.deps import SessionDep, SettingsDep, _token_from, require
from service.api.login_flow import check_password_login
from service.db.models import Community, District, Street
from service.db.repositories.users import issue_token, revoke_token
from service.domain.principal import Principal

router = APIRouter(prefix="/api", tags=["auth"])


class TokenPublic(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class JurisdictionPublic(BaseModel):
    level: str
    district_code: str | None
    street_code: str | None
    community_code: str | None


class MePublic(BaseModel):
    id: int
    username: str
    role: str
    jurisdiction: JurisdictionPublic
    department_id: int | None


@router.post(
    "/auth/token",
    response_model=TokenPublic,
    summary="Exchange username/password for a bearer token",
)
def login_for_token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> TokenPublic:
    """401 on a wrong password; 429 with Retry-After after too many failures."""
    user = check_password_login(request, session, settings, form.username, form.password)
    token, _ = issue_token(
        session, user, kind="bearer", ttl_minutes=settings.auth.token_ttl_minutes
    )
    return TokenPublic(access_token=token, expires_in=settings.auth.token_ttl_minutes * 60)


@router.post("/auth/logout", status_code=204, summary="Revoke the token or session in use")
def logout(
    request: Request, session: SessionDep, _: Annotated[Principal, Depends(require("me:read"))]
) -> None:
    token, _from_cookie = _token_from(request)
    if token:
        revoke_token(session, token)


@router.get("/me", response_model=MePublic, summary="The current user's role and jurisdiction")
def read_me(session: SessionDep, me: Annotated[Principal, Depends(require("me:read"))]) -> MePublic:
    def code_of(model, ident):  # type: ignore[no-untyped-def]
        return session.scalar(select(model.code).where(model.id == ident)) if ident else None

    return MePublic(
        id=me.id,
        username=me.username,
        role=me.role,
        department_id=me.department_id,
        jurisdiction=JurisdictionPublic(
            level=me.level,
            district_code=code_of(District, me.district_id),
            street_code=code_of(Street, me.street_id),
            community_code=code_of(Community, me.community_id),
        ),
    )
