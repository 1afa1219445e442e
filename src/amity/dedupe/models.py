"""Duplicate suggestions, merges and the records each merge retired.

Suggestions and merges name records by id without a foreign key on purpose: one table serves
contacts and companies, and a merge moves every foreign key that points at a loser (see
``merge.py``), which must not include the rows that describe the merge itself.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from amity.core.clock import now
from amity.core.db import Base, JSONType
from amity.core.mixins import UUIDPk

ENTITIES = ("contact", "company")
STATUSES = ("open", "dismissed", "merged")


class DuplicateSuggestion(UUIDPk, Base):
    """Two records that look like the same person or company; ``a_id`` < ``b_id``."""

    __tablename__ = "duplicate_suggestions"
    __table_args__ = (
        UniqueConstraint("entity", "a_id", "b_id"),
        Index("ix_duplicate_suggestions_list", "entity", "status", "score", "id"),
        Index("ix_duplicate_suggestions_a", "a_id", "status"),
        Index("ix_duplicate_suggestions_b", "b_id", "status"),
    )

    entity: Mapped[str] = mapped_column(String(20))
    a_id: Mapped[uuid.UUID] = mapped_column()
    b_id: Mapped[uuid.UUID] = mapped_column()
    score: Mapped[float] = mapped_column(Float)
    reasons: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)
    decided_at: Mapped[datetime | None] = mapped_column(default=None)
    decided_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    merge_id: Mapped[uuid.UUID | None] = mapped_column(default=None)


class Merge(UUIDPk, Base):
    """One merge and everything needed to undo it exactly.

    ``survivor_before`` is the survivor's row before the merge (column -> value, JSON-safe);
    ``losers_before`` the same for each loser; ``moves`` every column of every other row the
    merge changed as ``[table, primary key, column, old, new]``; ``removed`` the rows it
    deleted because the survivor already had the same one (a tag, an identical email), as
    ``[table, row]``; ``suggestions`` the suggestions it closed, with their previous status.
    """

    __tablename__ = "merges"
    __table_args__ = (Index("ix_merges_survivor", "entity", "survivor_id"),)

    entity: Mapped[str] = mapped_column(String(20))
    survivor_id: Mapped[uuid.UUID] = mapped_column()
    loser_ids: Mapped[list[Any]] = mapped_column(JSONType)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now, index=True)
    choices: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    survivor_before: Mapped[dict[str, Any]] = mapped_column(JSONType)
    losers_before: Mapped[list[Any]] = mapped_column(JSONType)
    moves: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    removed: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    suggestions: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    undone_at: Mapped[datetime | None] = mapped_column(default=None)
    undone_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))


class MergedRecord(Base):
    """A loser of a live merge: soft-deleted and merged into ``merged_into_id``."""

    __tablename__ = "merged_records"

    record_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    merged_into_id: Mapped[uuid.UUID] = mapped_column(index=True)
    merge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("merges.id", ondelete="CASCADE"),
                                                index=True)
