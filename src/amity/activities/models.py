"""Tasks, interactions on every channel with their participants, notifications, calendar feeds.

An interaction is one model for every channel (email, call, meeting, chat, social, visit, sms).
Each participant (a contact, a user, or a bare address not matched yet) is a row that carries
copies of the interaction's time, channel, direction and liveness, so a contact's timeline and
"when did we last talk to them" are single ranges of one index.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from amity.core.clock import now
from amity.core.db import Base
from amity.core.mixins import Record, UUIDPk

TASK_STATUSES = ("open", "done", "cancelled")
TASK_PRIORITIES = ("low", "normal", "high", "urgent")
# Tasks without a due date sort after every dated one (keyset pagination needs a non-null key).
NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=UTC)

CHANNELS = ("email", "call", "meeting", "chat", "social", "visit", "sms")
DIRECTIONS = ("inbound", "outbound", "internal")
PARTICIPANT_ROLES = ("from", "to", "cc", "bcc", "attendee", "organiser")
CALL_OUTCOMES = ("connected", "no_answer", "voicemail", "busy", "wrong_number", "failed")
SOCIAL_TYPES = ("message", "mention")
# Conversations both sides take part in: any of them (but an internal one) counts as having
# contacted the person; on the other channels only what we sent does.
TWO_WAY_CHANNELS = ("call", "meeting", "chat", "visit")
NOTIFICATION_KINDS = ("task_reminder", "important_date")


class Task(Record, Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_assignee_due", "assignee_id", "status", "due_at"),
        Index("ix_tasks_deal_status", "deal_id", "status"),
        Index("ix_tasks_due_sort", "due_sort", "id"),
        Index("ix_tasks_assignee_due_sort", "assignee_id", "status", "due_sort", "id"),
        Index("ix_tasks_contact_created", "contact_id", "created_at"),
    )

    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    due_at: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(12), default="open")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    company_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True)
    deal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("deals.id",
                                                                 ondelete="SET NULL"))
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
    reminder_at: Mapped[datetime | None] = mapped_column(default=None, index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(default=None)
    # due_at, or NO_DUE_DATE: the list's sort key (kept in step by the validator below)
    due_sort: Mapped[datetime] = mapped_column(default=NO_DUE_DATE)

    @validates("due_at")
    def _sync_due_sort(self, _key: str, value: datetime | None) -> datetime | None:
        self.due_sort = value if value is not None else NO_DUE_DATE
        return value


class Interaction(Record, Base):
    """Something that happened between the business and people, on one channel."""

    __tablename__ = "interactions"
    __table_args__ = (
        UniqueConstraint("external_source", "external_id"),
        Index("ix_interactions_occurred", "occurred_at", "id"),
        Index("ix_interactions_channel_occurred", "channel", "occurred_at"),
        CheckConstraint("duration_s IS NULL OR duration_s >= 0", name="duration"),
    )

    channel: Mapped[str] = mapped_column(String(12))
    direction: Mapped[str] = mapped_column(String(10), default="outbound")
    subject: Mapped[str | None] = mapped_column(String(998))
    body: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(default=now)  # a meeting's start
    ends_at: Mapped[datetime | None] = mapped_column(default=None)
    duration_s: Mapped[int | None] = mapped_column(Integer, default=None)
    outcome: Mapped[str | None] = mapped_column(String(20))  # calls
    location: Mapped[str | None] = mapped_column(String(500))  # meetings, visits
    network: Mapped[str | None] = mapped_column(String(40))  # social
    handle: Mapped[str | None] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(1000))
    social_type: Mapped[str | None] = mapped_column(String(10))  # message or mention
    company_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True)
    deal_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("deals.id", ondelete="SET NULL"), index=True)
    ticket_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), index=True)
    # Email threading: Message-ID and In-Reply-To as sent, and a key shared by a thread.
    message_id: Mapped[str | None] = mapped_column(String(998), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    thread_key: Mapped[str | None] = mapped_column(String(255), index=True)
    # Where it came from (an IMAP mailbox, a phone system, "ical"): re-ingesting is a no-op.
    external_source: Mapped[str | None] = mapped_column(String(80))
    external_id: Mapped[str | None] = mapped_column(String(500))

    participants: Mapped[list[InteractionParticipant]] = relationship(
        lazy="selectin", cascade="all, delete-orphan",
        order_by="InteractionParticipant.position")

    @property
    def contact_ids(self) -> list[uuid.UUID]:
        return [p.contact_id for p in self.participants if p.contact_id is not None]


class InteractionParticipant(UUIDPk, Base):
    """A contact, a user or an address taking part, with their role (from, to, attendee...)."""

    __tablename__ = "interaction_participants"
    __table_args__ = (
        UniqueConstraint("interaction_id", "contact_id"),
        UniqueConstraint("interaction_id", "user_id"),
        Index("ix_interaction_participants_contact_time", "contact_id", "occurred_at",
              "interaction_id"),
        Index("ix_interaction_participants_user_time", "user_id", "occurred_at"),
        CheckConstraint("(contact_id IS NOT NULL) OR (user_id IS NOT NULL) "
                        "OR (address IS NOT NULL)", name="who"),
    )

    interaction_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), index=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    address: Mapped[str | None] = mapped_column(String(320))  # not matched to anyone (yet)
    name: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(12))
    position: Mapped[int] = mapped_column(Integer, default=0)
    # Copies of the interaction's, kept in step by the service: one index range answers a
    # contact's timeline and their last contact.
    occurred_at: Mapped[datetime] = mapped_column()
    channel: Mapped[str] = mapped_column(String(12))
    direction: Mapped[str] = mapped_column(String(10))
    active: Mapped[bool] = mapped_column(Boolean, default=True)  # the interaction is not deleted


class Notification(UUIDPk, Base):
    """A message for one user in the app (task reminders, important dates)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_created", "user_id", "created_at", "id"),
        Index("ix_notifications_user_unread", "user_id", "read_at"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str | None] = mapped_column(Text)
    entity_type: Mapped[str | None] = mapped_column(String(40))
    entity_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    # One notification per reminder: "task:<id>:<reminder time>", "date:<contact>:<key>:<year>"
    dedupe_key: Mapped[str] = mapped_column(String(240), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    read_at: Mapped[datetime | None] = mapped_column(default=None)


class CalendarFeed(UUIDPk, Base):
    """A user's secret calendar URL; only a hash of its token is kept."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=now)


def timeline_indexes() -> list[Index]:
    """Indexes the timeline reads on other domains' tables: each source is one index range."""
    from amity.deals.models import Deal

    table: Any = Deal.__table__
    return [Index("ix_deals_contact_created", table.c.contact_id, table.c.created_at),
            Index("ix_deals_contact_closed", table.c.contact_id, table.c.closed_at)]


TIMELINE_INDEXES = timeline_indexes()
