"""Request and response shapes of the field-reporting API (reports, photos, patrols)."""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from service.api.schemas import StrictModel
from service.services.reporting import ReportDraft

Crs = Literal["wgs84", "gcj02", "bd09"]
Status = Literal[
    "reported", "accepted", "rejected", "dispatched", "in_progress", "handled", "verified", "closed"
]


class Strict(StrictModel):
    """Field-reporting bodies keep their text exactly as typed: what the phone sent is what is
    stored and fingerprinted (stripping would change stored reports and which bodies pass)."""

    model_config = ConfigDict(str_strip_whitespace=False)


class PointGeometry(Strict):
    type: Literal["Point"]
    coordinates: tuple[float, float]

    @field_validator("coordinates")
    @classmethod
    def finite(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not all(math.isfinite(c) for c in v):
            raise ValueError("coordinates must be finite numbers")
        return v


class ReportCreate(Strict):
    id: uuid.UUID
    category: str = Field(min_length=2, max_length=60)
    location: PointGeometry
    crs: Crs = "wgs84"
    accuracy_m: float | None = Field(default=None, ge=0, lt=100_000)
    placed_by_hand: bool = False
    description: str = Field(default="", max_length=4000)
    patrol_id: uuid.UUID | None = None

    def draft(self) -> ReportDraft:
        """What the filing use case takes: the fields, and the body as sent for its fingerprint."""
        lon, lat = self.location.coordinates
        return ReportDraft(
            id=self.id,
            category=self.category,
            lon=lon,
            lat=lat,
            crs=self.crs,
            accuracy_m=self.accuracy_m,
            placed_by_hand=self.placed_by_hand,
            description=self.description,
            patrol_id=self.patrol_id,
            content=self.model_dump(mode="json"),
        )


class PhotoRef(BaseModel):
    id: uuid.UUID
    is_evidence: bool
    width: int
    height: int
    created_at: datetime
    url: str


class HistoryEntry(BaseModel):
    from_status: str | None
    to_status: str
    note: str
    actor: str | None
    created_at: datetime


class ReportPublic(BaseModel):
    id: uuid.UUID
    category: str
    category_name_zh: str
    location: dict[str, Any]
    crs: str
    accuracy_m: float | None
    placed_by_hand: bool
    description: str
    status: str
    patrol_id: uuid.UUID | None
    duplicate_of: uuid.UUID | None
    grid_code: str | None
    residential_area_code: str | None
    community_code: str | None
    street_code: str | None
    district_code: str
    department: str
    department_name_zh: str
    deadline: datetime
    escalation_level: str
    reporter: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    distance_m: float | None = None
    # the same facts by id and as plain numbers (the first read shape, kept for its clients)
    category_code: str
    lon: float
    lat: float
    deadline_at: datetime
    district_id: int
    street_id: int | None
    community_id: int | None
    grid_cell_id: int | None
    department_id: int
    reporter_id: int
    channel: str = Field(
        default="patrol", description="patrol, complaint, hotline, petition, other"
    )


class ReportDetail(ReportPublic):
    history: list[HistoryEntry]
    photos: list[PhotoRef]
    allowed_transitions: list[str]


class AssistPart(Strict):
    department: str = Field(min_length=1, max_length=60, description="department code")
    part: str = Field(min_length=1, max_length=1000, description="what this department does")


class TransitionCreate(Strict):
    to: Status
    note: str = Field(default="", max_length=4000)
    reason: Literal["duplicate", "invalid"] | None = None
    duplicate_of: uuid.UUID | None = None
    expected: Status | None = Field(
        default=None,
        description="the status the client saw; if the report has moved on since: 409",
    )
    department: str | None = Field(
        default=None,
        max_length=60,
        description="派遣 only: the lead department's code (default: the category's)",
    )
    assist: list[AssistPart] = Field(
        default_factory=list,
        max_length=10,
        description="派遣 only: assisting departments (联合处置), each with its own part",
    )


def report_public(row: dict[str, Any]) -> ReportPublic:
    """The API shape of a report row from the repository."""
    data = {k: v for k, v in row.items() if k != "content_hash"}
    data["location"] = {"type": "Point", "coordinates": [row["lon"], row["lat"]]}
    return ReportPublic(**data)
