"""A saved list view: what a list shows (filters, sort, columns), and who else sees it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from amity.core.db import Base, JSONType
from amity.core.mixins import Timestamps, UUIDPk, Versioned

VISIBILITIES = ("private", "team", "everyone")
ENTITIES = ("contacts", "companies")


class SavedView(UUIDPk, Timestamps, Versioned, Base):
    __tablename__ = "saved_views"
    __table_args__ = (Index("ix_saved_views_entity_owner", "entity", "owner_id"),)

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    entity: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    visibility: Mapped[str] = mapped_column(String(10), default="private")
    team_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict, nullable=False)
