"""A saved report: its definition (entity, dimensions, measures, filters, sort, limit), how it is
drawn, who else sees it and whether its owner gets it by email."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from amity.core.db import Base, JSONType, UTCDateTime
from amity.core.mixins import Timestamps, UUIDPk, Versioned

VISIBILITIES = ("private", "team", "everyone")
CHARTS = ("table", "bar", "line")
DIGESTS = ("none", "daily", "weekly")


class SavedReport(UUIDPk, Timestamps, Versioned, Base):
    __tablename__ = "reports"
    __table_args__ = (Index("ix_reports_owner", "owner_id", "name"),
                      Index("ix_reports_digest", "digest"))

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(120))
    visibility: Mapped[str] = mapped_column(String(10), default="private")
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
    chart: Mapped[str] = mapped_column(String(10), default="bar")
    digest: Mapped[str] = mapped_column(String(10), default="none")


class StoredResult(Base):
    """A saved report's result as one reader scope sees it, kept by ``reports.stored``: the
    scope key hashes the compiled statement (access conditions included) and the time zone,
    so readers who would run the same SQL share it; ``user_id`` is who it is computed as."""

    __tablename__ = "report_results"

    report_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    scope_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               index=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int] = mapped_column(Integer)
    result: Mapped[dict[str, Any]] = mapped_column(JSONType, nullable=False)
