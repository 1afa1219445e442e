"""Workflows, their immutable versions and their runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from amity.core.clock import now
from amity.core.db import Base, JSONType
from amity.core.mixins import Owned, SoftDelete, Timestamps, UUIDPk, Versioned

RUN_STATUSES = ("running", "waiting", "done", "failed", "skipped")


class Workflow(UUIDPk, Timestamps, Versioned, Owned, SoftDelete, Base):
    """A named automation; what it does is its current version's definition."""

    __tablename__ = "workflows"
    __table_args__ = (Index("ix_workflows_enabled_trigger", "enabled", "trigger_key"),)

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    # The current version's event type or "date:<kind>": workers find the workflows an event
    # starts with one indexed lookup.
    trigger_key: Mapped[str] = mapped_column(String(80))


class WorkflowVersion(UUIDPk, Base):
    """One edit of a workflow; never changed once written (runs point at the one they began
    with)."""

    __tablename__ = "workflow_versions"
    __table_args__ = (UniqueConstraint("workflow_id", "number"),)

    workflow_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now)


class WorkflowRun(UUIDPk, Base):
    """One workflow started for one record by one trigger occasion (an event, a birthday in a
    given year, a last-purchase date...): the unique key makes that at most once."""

    __tablename__ = "workflow_runs"
    __table_args__ = (
        UniqueConstraint("workflow_id", "subject_id", "occasion"),
        Index("ix_workflow_runs_workflow_created", "workflow_id", "created_at"),
        Index("ix_workflow_runs_contact_created", "contact_id", "created_at"),
        Index("ix_workflow_runs_status_resume", "status", "resume_at"),
    )

    workflow_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workflows.id", ondelete="CASCADE"))
    version_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workflow_versions.id", ondelete="CASCADE"))
    version_number: Mapped[int] = mapped_column(Integer)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"))
    record_type: Mapped[str | None] = mapped_column(String(20))  # deal, ticket, order...
    record_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    subject_id: Mapped[uuid.UUID] = mapped_column(Uuid())  # the contact, else the record
    occasion: Mapped[str] = mapped_column(String(200))  # "event:<id>", "birthday:2031"...
    trigger_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    status: Mapped[str] = mapped_column(String(10), default="running")
    step_index: Mapped[int] = mapped_column(Integer, default=0)
    resume_at: Mapped[datetime | None] = mapped_column(default=None)
    # [{"at": iso time, "step": n, "action": type, "outcome": text}], ids only (no personal
    # values: erasure does not have to reach into it).
    log: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class AutomationCursor(Base):
    """How far the event scan has read the events outbox (``occurred_at``); the scan re-reads
    a short overlap behind it so events committed a little late are not missed (the run's
    unique key makes reading an event twice harmless)."""

    __tablename__ = "automation_cursors"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    position: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=now)
