"""Roadmap tables: each province's agencies and its yearly digitisation plan (Art. 26.2, 27.3).

Schema changes go through Alembic on the "roadmap" branch (storage/migrations/versions/m0001_…).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models import Base, utcnow


class Agency(Base):
    """An agency responsible for digitising the results it issued and keeps on paper."""

    __tablename__ = "roadmap_agencies"
    __table_args__ = (UniqueConstraint("province", "code", name="uq_roadmap_agency_province_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    province: Mapped[str] = mapped_column(String(100), index=True)  # the 2025 province
    # The agency's electronic identifier code, as written in batches and in each mã hồ sơ.
    code: Mapped[str] = mapped_column(String(100))
    name: Mapped[str] = mapped_column(Text)
    level: Mapped[str] = mapped_column(String(8))  # core.units.AgencyLevel
    # Statistical code of the district or commune it governs (district and commune level).
    unit_code: Mapped[str | None] = mapped_column(String(10), default=None)
    old_province: Mapped[str | None] = mapped_column(String(100), default=None)  # one of the 63, when known
    abolished_on: Mapped[date | None] = mapped_column(Date, default=None)
    successor_code: Mapped[str | None] = mapped_column(String(100), default=None)


class Plan(Base):
    """One imported version of a province's plan; the newest active one counts."""

    __tablename__ = "roadmap_plans"
    id: Mapped[int] = mapped_column(primary_key=True)
    province: Mapped[str] = mapped_column(String(100), index=True)  # the 2025 province
    version: Mapped[int] = mapped_column(Integer)
    source_name: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    rows: Mapped[list[PlanRow]] = relationship(back_populates="plan", cascade="all, delete-orphan")


class PlanRow(Base):
    """Year × agency × document type: paper results in scope and how many are done by year end."""

    __tablename__ = "roadmap_plan_rows"
    __table_args__ = (UniqueConstraint("plan_id", "year", "agency_code", "document_type", name="uq_roadmap_plan_row"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("roadmap_plans.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    agency_code: Mapped[str] = mapped_column(String(100))
    document_type: Mapped[str] = mapped_column(String(64))
    # Still-valid paper results kept by the agency (Art. 25.1): the 100% of the plan.
    inventory: Mapped[int] = mapped_column(Integer)
    # Results digitised by 31 December of `year`, counted from the start (cumulative).
    cumulative_target: Mapped[int] = mapped_column(Integer)
    plan: Mapped[Plan] = relationship(back_populates="rows")


class ProgressSnapshot(Base):
    """The grouped counts of progress.progress_rows, stored by `sohoa roadmap refresh` so the national
    page reads a few thousand rows instead of aggregating every result (41 s at 10M rows, measured)."""

    __tablename__ = "roadmap_progress_snapshot"
    id: Mapped[int] = mapped_column(primary_key=True)
    province: Mapped[str] = mapped_column(String(100))  # as recorded in the batch
    agency_code: Mapped[str] = mapped_column(String(100))
    document_type: Mapped[str] = mapped_column(String(64))
    year: Mapped[int | None] = mapped_column(Integer, default=None)  # None: current-status counts
    digitised: Mapped[int] = mapped_column(Integer, default=0)
    synced: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    in_review: Mapped[int] = mapped_column(Integer, default=0)
    refreshed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
