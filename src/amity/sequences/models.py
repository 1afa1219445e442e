"""Sequences, their steps, enrolments and the record of each step run.

``sequence_step_runs`` is unique on (enrolment, position): a step is done once whatever the
job does. An enrolment's ``active_key`` is the contact id while it is active and NULL after,
so (sequence, active_key) unique allows one active enrolment per contact and sequence.
An email step with ``at_best_hour`` waits for the contact's best hour of the week when it falls
due; the enrolment's ``timed_step`` is the position whose send was put off to that hour, so a
step is put off at most once.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column

from amity.core.clock import now
from amity.core.db import Base
from amity.core.mixins import SoftDelete, Timestamps, UUIDPk, Versioned

STEP_KINDS = ("email", "task", "wait")
STATUSES = ("active", "stopped", "finished")


class Sequence(UUIDPk, Timestamps, Versioned, SoftDelete, Base):
    __tablename__ = "sequences"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class SequenceStep(UUIDPk, Base):
    __tablename__ = "sequence_steps"
    __table_args__ = (UniqueConstraint("sequence_id", "position"),)

    sequence_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sequences.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    template_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("email_templates.id", ondelete="SET NULL"))
    task_title: Mapped[str | None] = mapped_column(String(300))
    task_due_days: Mapped[int | None] = mapped_column(Integer)
    wait_hours: Mapped[int | None] = mapped_column(Integer)
    at_best_hour: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class SequenceEnrolment(UUIDPk, Timestamps, Versioned, Base):
    __tablename__ = "sequence_enrolments"
    __table_args__ = (UniqueConstraint("sequence_id", "active_key"),)

    sequence_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sequences.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    active_key: Mapped[str | None] = mapped_column(String(36))
    status: Mapped[str] = mapped_column(String(10), default="active", index=True)
    current_step: Mapped[int] = mapped_column(Integer, default=0)  # next position to run
    next_run_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    timed_step: Mapped[int | None] = mapped_column(Integer, default=None)
    enrolled_at: Mapped[datetime] = mapped_column(default=now)
    enrolled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(500))
    stopped_at: Mapped[datetime | None] = mapped_column(default=None)
    stop_reason: Mapped[str | None] = mapped_column(String(40))
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class SequenceStepRun(UUIDPk, Base):
    __tablename__ = "sequence_step_runs"
    __table_args__ = (UniqueConstraint("enrolment_id", "position"),)

    enrolment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("sequence_enrolments.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(20))  # done, skipped, refused
    detail: Mapped[str | None] = mapped_column(String(500))
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    task_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    ran_at: Mapped[datetime] = mapped_column(default=now)
