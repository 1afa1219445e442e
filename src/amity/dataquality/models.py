"""Data stewards: who looks after the quality of an entity's records, or of a segment of them
(the contacts with a tag)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from amity.core.clock import now
from amity.core.db import Base
from amity.core.mixins import UUIDPk

ENTITIES = ("contact",)


class DataSteward(UUIDPk, Base):
    __tablename__ = "data_stewards"
    __table_args__ = (UniqueConstraint("user_id", "entity", "segment_tag"),)

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               index=True)
    entity: Mapped[str] = mapped_column(String(20), default="contact")
    # the segment: records with this tag (case-insensitive); "" = every record (not NULL, so
    # the unique key holds for it too)
    segment_tag: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(default=now)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
