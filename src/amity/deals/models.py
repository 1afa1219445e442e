"""Pipelines, stages, lost reasons, deals, their contacts, line items and stage history.

Stages and pipelines are archived, never deleted, so the stage history of old deals keeps its
meaning. ``Deal.status`` (open, won, lost) copies the kind of the deal's stage so that lists and
forecasts filter on one indexed column. ``Deal.rank`` orders deals inside a stage on a board: a
move places the deal between its new neighbours without renumbering the stage.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amity.core.clock import now
from amity.core.db import Base, Fixed
from amity.core.mixins import Record, Timestamps, UUIDPk, Versioned

STAGE_KINDS = ("open", "won", "lost")
FORECAST_CATEGORIES = ("pipeline", "best_case", "commit", "closed", "omitted")
DEAL_CONTACT_ROLES = ("decision_maker", "champion", "influencer", "evaluator", "economic_buyer",
                     "technical_buyer", "user", "other")


class Pipeline(UUIDPk, Timestamps, Versioned, Base):
    __tablename__ = "pipelines"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)

    stages: Mapped[list[Stage]] = relationship(
        back_populates="pipeline", order_by="Stage.position", lazy="selectin")


class Stage(UUIDPk, Timestamps, Versioned, Base):
    __tablename__ = "stages"
    __table_args__ = (Index("ix_stages_pipeline_position", "pipeline_id", "position"),)

    pipeline_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(10), default="open")  # STAGE_KINDS
    probability: Mapped[int] = mapped_column(Integer, default=0)  # default win chance, 0-100
    forecast_category: Mapped[str] = mapped_column(String(20), default="pipeline")
    stall_days: Mapped[int | None] = mapped_column(Integer, default=None)
    archived_at: Mapped[datetime | None] = mapped_column(default=None)

    pipeline: Mapped[Pipeline] = relationship(back_populates="stages", lazy="raise")


class LostReason(UUIDPk, Timestamps, Base):
    __tablename__ = "lost_reasons"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Deal(Record, Base):
    __tablename__ = "deals"
    __table_args__ = (
        Index("ix_deals_board", "pipeline_id", "stage_id", "rank"),
        # the board's sums per stage, currency and probability read this index alone
        # (PostgreSQL index-only scan) instead of every live deal row of the pipeline
        Index("ix_deals_board_totals", "pipeline_id", "stage_id", "currency", "probability",
              postgresql_include=["amount", "owner_id"],
              postgresql_where=text("deleted_at IS NULL"), sqlite_where=text("deleted_at IS NULL")),
        Index("ix_deals_close", "status", "expected_close_date"),
        Index("ix_deals_sort_name", "sort_name", "id"),
        Index("ix_deals_amount", "amount", "id"),
        Index("ix_deals_expected_close_date", "expected_close_date", "id"),
    )

    name: Mapped[str] = mapped_column(String(300))
    sort_name: Mapped[str] = mapped_column(String(300), default="")
    amount: Mapped[Decimal] = mapped_column(Fixed(2), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3))
    expected_close_date: Mapped[date | None] = mapped_column(default=None)
    probability: Mapped[int] = mapped_column(Integer, default=0)
    probability_overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    forecast_category: Mapped[str | None] = mapped_column(String(20), default=None)  # override
    pipeline_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipelines.id"), index=True)
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stages.id"), index=True)
    rank: Mapped[float] = mapped_column(Float, default=0.0)
    status: Mapped[str] = mapped_column(String(10), default="open")  # copy of the stage kind
    stage_entered_at: Mapped[datetime] = mapped_column(default=now)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    company_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True)
    source: Mapped[str | None] = mapped_column(String(120), index=True)
    campaign: Mapped[str | None] = mapped_column(String(200), index=True)
    next_step: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    closed_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    lost_reason_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("lost_reasons.id", ondelete="SET NULL"))
    lost_reason_text: Mapped[str | None] = mapped_column(String(1000))
    last_activity_at: Mapped[datetime] = mapped_column(default=now, index=True)

    contacts: Mapped[list[DealContact]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="DealContact.position")
    lines: Mapped[list[DealLine]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="DealLine.position")


class DealContact(Base):
    """Another person on the deal and their role in it (the primary contact is on the deal)."""

    __tablename__ = "deal_contacts"

    deal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"),
                                               primary_key=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"),
                                                  primary_key=True, index=True)
    role: Mapped[str] = mapped_column(String(30), default="other")
    position: Mapped[int] = mapped_column(Integer, default=0)


class DealLine(UUIDPk, Base):
    """A product (or free text) quoted on a deal; a won deal's lines become its order's."""

    __tablename__ = "deal_lines"

    deal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"),
                                               index=True)
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), index=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    quantity: Mapped[Decimal] = mapped_column(Fixed(3))
    unit_price: Mapped[Decimal] = mapped_column(Fixed(4))
    discount_percent: Mapped[Decimal] = mapped_column(Fixed(2), default=Decimal("0"))
    total: Mapped[Decimal] = mapped_column(Fixed(2))
    position: Mapped[int] = mapped_column(Integer, default=0)


class DealStageChange(UUIDPk, Base):
    """One move of a deal (creation is a move from no stage): time in stage and sales-cycle
    length are differences between consecutive rows."""

    __tablename__ = "deal_stage_changes"
    __table_args__ = (Index("ix_deal_stage_changes_deal", "deal_id", "changed_at"),)

    deal_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    from_stage_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("stages.id"))
    to_stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("stages.id"), index=True)
    from_pipeline_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("pipelines.id"))
    to_pipeline_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pipelines.id"))
    changed_at: Mapped[datetime] = mapped_column(default=now)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id",
                                                                  ondelete="SET NULL"))
