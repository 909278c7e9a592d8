"""ORM mapping of the schema created by the Alembic migrations (never used to create it)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import (
    ARRAY,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def _geom(kind: str, nullable: bool = False) -> Mapped[WKBElement]:
    return mapped_column(Geometry(kind, srid=4326, spatial_index=False), nullable=nullable)


class District(Base):
    __tablename__ = "district"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    geom: Mapped[WKBElement] = _geom("MULTIPOLYGON")


class Street(Base):
    __tablename__ = "street"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"))
    geom: Mapped[WKBElement] = _geom("MULTIPOLYGON")


class Community(Base):
    __tablename__ = "community"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    street_id: Mapped[int] = mapped_column(ForeignKey("street.id"))
    geom: Mapped[WKBElement] = _geom("MULTIPOLYGON")


class PropertyCompany(Base):
    __tablename__ = "property_company"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(Text, unique=True)
    credit_grade: Mapped[str] = mapped_column(Text, default="B")
    list_status: Mapped[str] = mapped_column(Text, default="none")
    credit_code: Mapped[str | None] = mapped_column(Text, unique=True)
    contact_name: Mapped[str | None] = mapped_column(Text)
    contact_phone: Mapped[str | None] = mapped_column(Text)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))
    has_party_org: Mapped[bool] = mapped_column(Boolean, default=False)


class ResidentialArea(Base):
    __tablename__ = "residential_area"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name: Mapped[str] = mapped_column(Text)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    geom: Mapped[WKBElement] = _geom("MULTIPOLYGON")
    households: Mapped[int] = mapped_column(Integer)
    buildings: Mapped[int] = mapped_column(Integer)
    build_year: Mapped[int | None] = mapped_column(Integer)
    property_service_mode: Mapped[str] = mapped_column(Text, default="none")
    property_company_id: Mapped[int | None] = mapped_column(ForeignKey("property_company.id"))
    owners_committee_status: Mapped[str] = mapped_column(Text, default="none")
    owners_committee_party_share: Mapped[Decimal | None] = mapped_column(Numeric(4, 3))
    party_org_status: Mapped[str] = mapped_column(Text, default="none")
    renovation_eligible: Mapped[bool] = mapped_column(Boolean, default=False)
    renovation_status: Mapped[str] = mapped_column(Text, default="not_listed")
    renovation_planned_year: Mapped[int | None] = mapped_column(Integer)
    renovation_items: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    has_property_office: Mapped[bool] = mapped_column(Boolean, default=False)
    maintenance_fund_ratio: Mapped[Decimal | None] = mapped_column(Numeric(6, 3))
    version: Mapped[int] = mapped_column(Integer, default=1)
    property_officer_name: Mapped[str | None] = mapped_column(Text)
    property_officer_phone: Mapped[str | None] = mapped_column(Text)
    owners_committee_registered_on: Mapped[date | None] = mapped_column(Date)
    owners_committee_term_end: Mapped[date | None] = mapped_column(Date)
    owners_committee_members: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ResidentialAreaChange(Base):
    """Append-only history of attribute changes (who, when, old → new)."""

    __tablename__ = "residential_area_change"
    id: Mapped[int] = mapped_column(primary_key=True)
    residential_area_id: Mapped[int] = mapped_column(ForeignKey("residential_area.id"))
    attribute: Mapped[str] = mapped_column(Text)
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AppUser(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(Text, unique=True)
    display_name: Mapped[str] = mapped_column(Text, default="")
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(Text)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class GridCell(Base):
    __tablename__ = "grid_cell"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    geom: Mapped[WKBElement] = _geom("MULTIPOLYGON")
    households: Mapped[int] = mapped_column(Integer, default=0)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GridCellLineage(Base):
    __tablename__ = "grid_cell_lineage"
    cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cell.id"), primary_key=True)
    replaces_cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cell.id"), primary_key=True)


class GridAssignment(Base):
    __tablename__ = "grid_assignment"
    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    cell_id: Mapped[int] = mapped_column(ForeignKey("grid_cell.id"))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)


class Department(Base):
    __tablename__ = "department"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(Text, unique=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)


class EventCategory(Base):
    __tablename__ = "event_category"
    code: Mapped[str] = mapped_column(Text, primary_key=True)
    name_zh: Mapped[str] = mapped_column(Text)
    name_en: Mapped[str] = mapped_column(Text)
    gb_class: Mapped[str] = mapped_column(Text)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    deadline_hours: Mapped[int] = mapped_column(Integer)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)


class Patrol(Base):
    __tablename__ = "patrol"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    worker_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    grid_cell_id: Mapped[int | None] = mapped_column(ForeignKey("grid_cell.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    geom: Mapped[WKBElement | None] = _geom("LINESTRING", nullable=True)
    track_accuracy_m: Mapped[list[float] | None] = mapped_column(ARRAY(Float))
    checklist: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Report(Base):
    __tablename__ = "report"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    geom: Mapped[WKBElement] = _geom("POINT")
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    coordinate_system: Mapped[str] = mapped_column(Text, default="wgs84")
    placed_by_hand: Mapped[bool] = mapped_column(Boolean, default=False)
    category_code: Mapped[str] = mapped_column(ForeignKey("event_category.code"))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(Text, default="reported")
    reporter_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    patrol_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patrol.id"))
    grid_cell_id: Mapped[int | None] = mapped_column(ForeignKey("grid_cell.id"))
    residential_area_id: Mapped[int | None] = mapped_column(ForeignKey("residential_area.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"))
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    escalation_level: Mapped[str] = mapped_column(Text, default="community")
    duplicate_of: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("report.id"))
    content_hash: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ReportEvent(Base):
    """Append-only history of a report's transitions."""

    __tablename__ = "report_event"
    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report.id"))
    from_status: Mapped[str | None] = mapped_column(Text)
    to_status: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    note: Mapped[str] = mapped_column(Text, default="")
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Photo(Base):
    __tablename__ = "photo"
    id: Mapped[uuid.UUID] = mapped_column(UUID(as_uuid=True), primary_key=True)
    report_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("report.id"))
    storage_key: Mapped[str] = mapped_column(Text, unique=True)
    content_type: Mapped[str] = mapped_column(Text)
    bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(Text)
    is_evidence: Mapped[bool] = mapped_column(Boolean, default=False)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    street_id: Mapped[int | None] = mapped_column(ForeignKey("street.id"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class AuthToken(Base):
    __tablename__ = "auth_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    token_sha256: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[str] = mapped_column(Text)
    csrf_token: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
