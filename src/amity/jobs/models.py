"""The job queue's tables: jobs, the effects jobs performed, and the scheduler's slots."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from amity.core.clock import now
from amity.core.db import Base, JSONType
from amity.core.mixins import UUIDPk

QUEUED, RUNNING, FAILED, DONE, DEAD = "queued", "running", "failed", "done", "dead"
STATUSES = (QUEUED, RUNNING, FAILED, DONE, DEAD)
WAITING = (QUEUED, FAILED)  # may be claimed once run_at has come

_WAITING_SQL = text("status IN ('queued', 'failed')")
_RUNNING_SQL = text("status = 'running'")


class Job(UUIDPk, Base):
    """One unit of background work: a kind (its handler) and a payload of ids.

    ``queued`` waits for ``run_at``; ``running`` is held by ``locked_by`` until ``lease_until``
    (renewed while it runs); ``failed`` waits for a retry at ``run_at``; ``done``; ``dead``
    after ``max_attempts`` failures, with ``last_error`` kept.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        # What workers claim, in order: partial, so the done history does not weigh on it.
        Index("ix_jobs_claim", "priority", "run_at", postgresql_where=_WAITING_SQL,
              sqlite_where=_WAITING_SQL),
        Index("ix_jobs_lease", "lease_until", postgresql_where=_RUNNING_SQL,
              sqlite_where=_RUNNING_SQL),
        Index("ix_jobs_status_created", "status", "created_at"),
        Index("ix_jobs_kind_created", "kind", "created_at"),
    )

    kind: Mapped[str] = mapped_column(String(160))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    priority: Mapped[int] = mapped_column(Integer, default=0)  # smaller runs first
    run_at: Mapped[datetime] = mapped_column(default=now)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=10)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    locked_by: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=now)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class JobEffect(Base):
    """An outside action (an email, a webhook call) a job has performed, by its key."""

    __tablename__ = "job_effects"

    key: Mapped[str] = mapped_column(String(240), primary_key=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column()
    done_at: Mapped[datetime] = mapped_column(default=now, index=True)


class ScheduleRun(UUIDPk, Base):
    """A schedule's slot that has been enqueued: unique, so each slot runs once."""

    __tablename__ = "schedule_runs"
    __table_args__ = (UniqueConstraint("name", "slot"),)

    name: Mapped[str] = mapped_column(String(120))
    slot: Mapped[datetime] = mapped_column(index=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=now)
