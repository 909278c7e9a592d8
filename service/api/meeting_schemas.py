"""Request and response shapes of joint meetings (联席会议) and their agenda items."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from service.api.schemas import StrictModel

MeetingKind = Literal["street_joint", "grid_quarterly", "community"]
DepartmentCode = Field(pattern=r"^[a-z_]{2,40}$")


class MeetingCreate(StrictModel):
    kind: MeetingKind
    held_on: date = Field(description="the day the meeting was held (not in the future)")
    title: str = Field(min_length=1, max_length=200)
    street: str | None = Field(
        default=None, pattern=r"^[0-9]{9}$", description="the street (district accounts)"
    )
    community: str | None = Field(
        default=None, pattern=r"^[0-9]{12}$", description="a community's own meeting"
    )
    participants: list[str] = Field(
        default_factory=list, max_length=50, description="department codes taking part"
    )
    note: str = Field(default="", max_length=4000)


class ItemCreate(StrictModel):
    topic: str = Field(min_length=1, max_length=500, description="the matter taken up")
    report_id: uuid.UUID | None = Field(default=None, description="the case it is about")
    decision: str = Field(default="", max_length=4000)
    owner_department: str | None = Field(default=None, pattern=r"^[a-z_]{2,40}$")
    owner_text: str = Field(default="", max_length=100, description="or who else owns it")
    due_on: date | None = Field(default=None, description="follow-up deadline")


class ItemDone(StrictModel):
    note: str = Field(default="", max_length=4000)


class ItemPublic(BaseModel):
    id: int
    meeting_id: int
    report_id: uuid.UUID | None
    report_status: str | None
    report_description: str | None
    topic: str
    decision: str
    owner_department: str | None
    owner_department_zh: str | None
    owner_text: str
    due_on: date | None
    done_at: datetime | None
    done_note: str
    done_by: str | None
    overdue: bool
    can_mark_done: bool = Field(default=False, description="whether I may mark it done")


class MeetingSummary(BaseModel):
    id: int
    kind: MeetingKind
    kind_zh: str
    held_on: date
    title: str
    street_code: str
    street_name: str
    community_code: str | None
    community_name: str | None
    participants: list[str]
    note: str
    created_by: str
    created_at: datetime
    items: int = 0
    open_items: int = 0
    overdue_items: int = 0


class MeetingPublic(MeetingSummary):
    agenda: list[ItemPublic]
    writable: bool = Field(description="whether I may add agenda items")


class OverdueItem(ItemPublic):
    meeting_title: str
    held_on: date
    street_name: str
    community_name: str | None


class CadencePublic(BaseModel):
    street_code: str
    street_name: str
    community_code: str | None
    community_name: str | None
    kind: MeetingKind
    kind_zh: str
    months: int = Field(description="months between meetings; 0 = as needed")
    last_held: date | None
    next_due: date | None
    overdue: bool


class MeetingBoard(BaseModel):
    """What the meetings page opens with."""

    today: date
    cadence: list[CadencePublic]
    overdue: list[OverdueItem]
    can_write: bool
    departments: list[dict[str, str]] = Field(description="code and name_zh of each department")
