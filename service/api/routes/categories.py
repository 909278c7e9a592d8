"""The event-category catalogue (searchable Chinese names) with each category's department."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from service.api.deps import SessionDep, require
from service.domain.principal import Principal

router = APIRouter(prefix="/api", tags=["catalogue"])


class CategoryPublic(BaseModel):
    code: str
    name_zh: str
    name_en: str
    gb_class: str
    department: str
    department_name_zh: str
    deadline_hours: int


@router.get("/categories", response_model=list[CategoryPublic], summary="Event categories")
def list_categories(
    session: SessionDep, _: Annotated[Principal, Depends(require("catalogue:read"))]
) -> list[CategoryPublic]:
    from service.db.repositories.catalogue import active_categories

    return [CategoryPublic(**row) for row in active_categories(session)]
