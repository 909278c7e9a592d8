"""Request and response shapes of residents' cases: complaints, contacts, return visits."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from service.api.report_schemas import Crs, PointGeometry
from service.api.schemas import StrictModel

IntakeChannel = Literal["complaint", "hotline", "petition", "other"]


class ComplaintCreate(StrictModel):
    id: uuid.UUID = Field(description="chosen by the client, so a retry cannot file twice")
    channel: IntakeChannel = "complaint"
    category: str = Field(min_length=2, max_length=60)
    description: str = Field(min_length=1, max_length=4000)
    location: PointGeometry | None = Field(default=None, description="a point on the map")
    crs: Crs = "wgs84"
    residential_area: str | None = Field(
        default=None,
        pattern=r"^[0-9]{12}R[0-9]{3}$",
        description="or the 小区 found by address search: the case is placed inside it",
    )
    caller_name: str = Field(default="", max_length=60)
    caller_phone: str = Field(default="", max_length=30)
    external_ref: str | None = Field(
        default=None, min_length=1, max_length=60, description="hotline order number"
    )


class PlacePublic(BaseModel):
    code: str
    name: str
    community_name: str
    street_name: str
    lon: float
    lat: float


class CallerView(BaseModel):
    """The caller's contact: in full for the handling roles, else only the mask."""

    masked: bool
    name: str | None
    phone: str | None
    display: str | None = Field(description="what to show: the full contact or its mask")


class VisitCreate(StrictModel):
    result: Literal["satisfied", "basically", "dissatisfied"]
    note: str = Field(default="", max_length=4000)
    reopen: bool = Field(default=False, description="不满意 only: send the case back to 处置")


class VisitPublic(BaseModel):
    id: int
    result: str
    result_zh: str
    note: str
    reopened: bool
    actor: str
    created_at: datetime


class PendingVisit(BaseModel):
    id: uuid.UUID
    channel: str
    channel_zh: str
    category_name_zh: str
    description: str
    community_name: str | None
    closed_at: datetime
    caller: str | None = Field(description="the caller's contact as the reader may see it")
