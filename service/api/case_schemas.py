"""Request and response shapes of the case-handling API (/api/cases)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from service.api.report_schemas import ReportDetail, ReportPublic, Strict
from service.api.resident_schemas import CallerView, VisitPublic


class QueueCount(BaseModel):
    label_zh: str
    count: int
    new: int = Field(description="items that entered or changed in the queue since `since`")


class CaseCounts(BaseModel):
    now: datetime
    queues: dict[str, QueueCount]


class PlaceCommunity(BaseModel):
    code: str
    name: str
    street_name: str


class PlaceGridCell(BaseModel):
    code: str
    label_zh: str = Field(description="第NNN网格: the cell's number within its community")


class CasePlaces(BaseModel):
    """The pick-lists of the workbench's filters, within the jurisdiction."""

    communities: list[PlaceCommunity]
    grid_cells: list[PlaceGridCell] = Field(
        description="active cells of `community` (empty without it)"
    )


class CaseItem(BaseModel):
    id: uuid.UUID
    category: str
    category_name_zh: str
    status: str
    description: str
    community_code: str | None
    community_name: str | None
    grid_code: str | None
    department: str
    department_name_zh: str
    deadline_at: datetime
    time_left_s: int = Field(description="seconds to the deadline; negative: overdue by that much")
    escalation_level: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    reporter: str
    last_status: str | None
    last_note: str | None
    last_at: datetime | None
    my_part: str | None = Field(description="an assisting department's own part (联合处置)")
    channel: str = Field(
        default="patrol", description="patrol, complaint, hotline, petition, other"
    )


class CasePage(BaseModel):
    queue: str
    label_zh: str
    items: list[CaseItem]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page (keyset)")
    counts: dict[str, QueueCount] | None = None


class AssistPublic(BaseModel):
    department: str
    department_name_zh: str
    part: str
    status: str
    note: str
    updated_at: datetime


class CaseDetail(ReportDetail):
    time_left_s: int
    assists: list[AssistPublic]
    my_assist: AssistPublic | None = Field(description="my department's part, if I assist")
    duplicates: list[ReportPublic] = Field(description="open reports of the category nearby")
    cell: dict[str, Any] | None = Field(description="the grid cell (GeoJSON geometry)")
    residential_area: dict[str, Any] | None = Field(description="the 小区 (GeoJSON geometry)")
    channel_zh: str
    external_ref: str | None = Field(description="the 12345 hotline's work-order number")
    caller: CallerView | None = Field(description="in full only for the handling roles")
    media_url: str | None = Field(
        default=None, description="the photo URL an Open311 client filed with the request"
    )
    return_visits: list[VisitPublic]
    needs_return_visit: bool = Field(description="closed, brought by a resident, not yet visited")
    reopened_count: int


class BulkMove(Strict):
    ids: list[uuid.UUID] = Field(min_length=1, max_length=200)
    to: Literal["accepted", "dispatched"]
    note: str = Field(default="", max_length=4000)
    department: str | None = Field(default=None, max_length=60)


class BulkResult(BaseModel):
    moved: list[uuid.UUID]


class AssistMove(Strict):
    to: Literal["in_progress", "handled"]
    note: str = Field(default="", max_length=4000)
