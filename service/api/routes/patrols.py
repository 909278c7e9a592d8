"""Patrols: start (idempotent, client UUID), finish with the GPS track and checklist, read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime, BaseModel, Field, model_validator

from service.api.deps import SessionDep, SettingsDep, require
from service.api.report_schemas import Strict
from service.db.repositories import patrols as repo
from service.domain.field_input import content_hash, in_china
from service.domain.patrol_checks import check_time, check_track
from service.domain.principal import Principal
from service.errors import Conflict, OutsideJurisdiction, ValidationFailed

router = APIRouter(prefix="/api", tags=["patrols"])

Theme = Literal[
    "sanitation",
    "greening",
    "repairs",
    "public_order",
    "safety",
    "decoration_works",
    "floating_population",
]
Check = Literal["ok", "issue", "not_checked"]


# A phone's GPS accuracy in metres: finite, never negative, and not beyond any fix worth keeping.
Accuracy = Annotated[float, Field(ge=0, le=10_000, allow_inf_nan=False)]


class PatrolCreate(Strict):
    id: uuid.UUID
    started_at: AwareDatetime
    checklist: dict[Theme, Check] = Field(default_factory=dict)


class LineGeometry(Strict):
    type: Literal["LineString"]
    coordinates: list[tuple[float, float]] = Field(max_length=20_000)


class PatrolFinish(Strict):
    ended_at: AwareDatetime
    track: LineGeometry | None = None
    accuracy_m: list[Accuracy] = Field(default_factory=list)
    recorded_at: list[AwareDatetime] = Field(default_factory=list)
    checklist: dict[Theme, Check] = Field(default_factory=dict)
    note: str = Field(default="", max_length=4000)

    @model_validator(mode="after")
    def per_point_lists_match(self) -> PatrolFinish:
        n = len(self.track.coordinates) if self.track else 0
        if self.accuracy_m and len(self.accuracy_m) != n:
            raise ValueError("accuracy_m needs one value per track point")
        if self.recorded_at and len(self.recorded_at) != n:
            raise ValueError("recorded_at needs one timestamp per track point")
        for i, (lon, lat) in enumerate(self.track.coordinates if self.track else []):
            if not in_china(lon, lat):
                raise ValueError(f"track point {i} ({lon}, {lat}) is outside China")
        return self


class PatrolPublic(BaseModel):
    id: uuid.UUID
    worker: str
    started_at: datetime
    ended_at: datetime | None
    track: dict[str, Any] | None
    track_accuracy_m: list[float] | None
    track_recorded_at: list[datetime] | None
    checklist: dict[str, Any]
    note: str
    grid_code: str | None
    community_code: str | None
    findings: int


class PatrolPage(BaseModel):
    total: int
    items: list[PatrolPublic]


def _public(row: dict[str, Any]) -> PatrolPublic:
    return PatrolPublic(**{k: v for k, v in row.items() if not k.endswith("_hash")})


@router.post("/patrols", response_model=PatrolPublic, status_code=201, summary="Start a patrol")
def start_patrol(
    body: PatrolCreate,
    request: Request,
    response: Response,
    session: SessionDep,
    me: Annotated[Principal, Depends(require("patrol:create"))],
) -> PatrolPublic:
    check_time(body.started_at, datetime.now(UTC), "started_at")
    fingerprint = content_hash({**body.model_dump(mode="json"), "worker": me.id})
    if not repo.start_patrol(
        session,
        body.id,
        body.started_at,
        {str(k): v for k, v in body.checklist.items()},
        fingerprint,
        me,
    ):
        owner = repo.patrol_owner_hash(session, body.id)
        row = repo.get_patrol(session, body.id, me, "self")
        if owner is None or owner[0] != me.id or row is None or owner[1] != fingerprint:
            raise Conflict("this patrol id is already used", where={"field": "id"})
        response.status_code = 200
        return _public(row)
    row = repo.get_patrol(session, body.id, me, "self")
    assert row is not None
    return _public(row)


@router.post("/patrols/{patrol_id}/finish", response_model=PatrolPublic, summary="End a patrol")
def finish_patrol(
    patrol_id: uuid.UUID,
    body: PatrolFinish,
    session: SessionDep,
    settings: SettingsDep,
    me: Annotated[Principal, Depends(require("patrol:create"))],
) -> PatrolPublic:
    row = repo.get_patrol(session, patrol_id, me, "self", lock=True)
    if row is None:
        raise OutsideJurisdiction("patrol not found", message_zh="巡查记录不存在")
    fingerprint = content_hash(body.model_dump(mode="json"))
    if row["ended_at"] is not None:
        if row["finish_hash"] != fingerprint:
            raise Conflict("this patrol was already finished differently", message_zh="巡查已结束")
        return _public(row)
    if body.ended_at < row["started_at"]:
        raise ValidationFailed("ended_at is before started_at", where={"field": "ended_at"})
    check_time(body.ended_at, datetime.now(UTC), "ended_at")
    coords = body.track.coordinates if body.track else []
    wkt = None
    if body.track is not None:
        check_track(
            coords,
            body.recorded_at,
            started_at=row["started_at"],
            ended_at=body.ended_at,
            max_length_m=settings.limits.max_patrol_track_m,
        )
        wkt = "LINESTRING(" + ",".join(f"{x!r} {y!r}" for x, y in coords) + ")"
    repo.finish_patrol(
        session,
        patrol_id,
        ended_at=body.ended_at,
        track_wkt=wkt,
        accuracies=body.accuracy_m,
        recorded_at=body.recorded_at,
        checklist={str(k): v for k, v in body.checklist.items()},
        note=body.note,
        fingerprint=fingerprint,
    )
    done = repo.get_patrol(session, patrol_id, me, "self")
    assert done is not None
    return _public(done)


@router.get("/patrols", response_model=PatrolPage, summary="Patrols in my jurisdiction")
def list_patrols(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    me: Annotated[Principal, Depends(require("patrol:read"))],
    limit: Annotated[int, Query(ge=1)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> PatrolPage:
    rows, total = repo.list_patrols(
        session, me, request.state.scope, min(limit, settings.limits.max_page_size), offset
    )
    return PatrolPage(total=total, items=[_public(r) for r in rows])


@router.get("/patrols/{patrol_id}", response_model=PatrolPublic, summary="One patrol")
def read_patrol(
    patrol_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    me: Annotated[Principal, Depends(require("patrol:read"))],
) -> PatrolPublic:
    row = repo.get_patrol(session, patrol_id, me, request.state.scope)
    if row is None:
        raise OutsideJurisdiction("patrol not found", message_zh="巡查记录不存在")
    return _public(row)
