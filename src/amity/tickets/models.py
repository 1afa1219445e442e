"""Tickets, comments, attachments, business calendars, SLA policies, SLA events, surveys,
team routing and agent availability.

A ticket's SLA state is kept on the ticket itself (due, warning and breach times per target)
so queues and the periodic check are plain indexed queries. ``sla_due_at`` / ``sla_warn_at``
are the times of the target currently running (first response until it is given, then
resolution); ``sla_breached_at`` is the first breach of any target.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amity.core.clock import now
from amity.core.db import Base, JSONType
from amity.core.mixins import Record, Timestamps, UUIDPk, Versioned
from amity.core.tags import Tag

STATUSES = ("new", "open", "pending_customer", "on_hold", "resolved", "closed")
OPEN_STATUSES = ("new", "open", "pending_customer", "on_hold")
OPEN_PREDICATE = ("status IN ('new', 'open', 'pending_customer', 'on_hold') "
                  "AND deleted_at IS NULL")
PRIORITIES = ("low", "normal", "high", "urgent")
CHANNELS = ("email", "phone", "chat", "web_form", "social", "in_person")
# status -> the statuses it may move to; closed is final, a resolved ticket may be reopened
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("open", "pending_customer", "on_hold", "resolved", "closed"),
    "open": ("pending_customer", "on_hold", "resolved", "closed"),
    "pending_customer": ("open", "on_hold", "resolved", "closed"),
    "on_hold": ("open", "pending_customer", "resolved", "closed"),
    "resolved": ("open", "closed"),
    "closed": (),
}
TARGETS = ("first_response", "resolution")
ROUTING_MODES = ("manual", "round_robin", "least_loaded")
REFERENCE_PREFIX = "T-"

ticket_tags = Table(
    "ticket_tags", Base.metadata,
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class TicketCounter(Base):
    """The last ticket number handed out (one row, incremented under a row lock)."""

    __tablename__ = "ticket_counters"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class Ticket(Record, Base):
    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("number"),
        Index("ix_tickets_created_id", "created_at", "id"),
        Index("ix_tickets_updated_id", "updated_at", "id"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        Index("ix_tickets_team_status", "team_id", "status"),
        # the SLA check: open tickets whose running target's warning time has passed
        Index("ix_tickets_status_warn", "status", "sla_warn_at"),
        # queues list open tickets newest first; open tickets are a small share of all
        Index("ix_tickets_open_created", "created_at", "id",
              postgresql_where=text(OPEN_PREDICATE), sqlite_where=text(OPEN_PREDICATE)),
        Index("ix_tickets_contact_status", "contact_id", "status"),
    )

    number: Mapped[int] = mapped_column(BigInteger)
    subject: Mapped[str] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="new")
    priority: Mapped[str] = mapped_column(String(10), default="normal", index=True)
    channel: Mapped[str] = mapped_column(String(20), default="web_form", index=True)
    category: Mapped[str | None] = mapped_column(String(120), index=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"))
    company_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True)
    assignee_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    team_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("teams.id",
                                                                 ondelete="SET NULL"))
    order_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    product_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("products.id", ondelete="SET NULL"), index=True)
    resolution_notes: Mapped[str | None] = mapped_column(Text)
    first_responded_at: Mapped[datetime | None] = mapped_column(default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    # SLA
    sla_policy_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("sla_policies.id", ondelete="SET NULL"), index=True)
    sla_paused_at: Mapped[datetime | None] = mapped_column(default=None)
    sla_paused_seconds: Mapped[int] = mapped_column(BigInteger, default=0)  # business time
    first_response_due_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_warn_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_warned_at: Mapped[datetime | None] = mapped_column(default=None)
    first_response_breached_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution_due_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution_warn_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution_warned_at: Mapped[datetime | None] = mapped_column(default=None)
    resolution_breached_at: Mapped[datetime | None] = mapped_column(default=None)
    sla_due_at: Mapped[datetime | None] = mapped_column(default=None)
    sla_warn_at: Mapped[datetime | None] = mapped_column(default=None)
    sla_breached_at: Mapped[datetime | None] = mapped_column(default=None)
    # satisfaction (the latest survey answer)
    satisfaction_score: Mapped[int | None] = mapped_column(Integer, default=None)
    satisfaction_comment: Mapped[str | None] = mapped_column(Text)
    satisfaction_at: Mapped[datetime | None] = mapped_column(default=None)

    tags: Mapped[list[Tag]] = relationship(secondary=ticket_tags, lazy="selectin",
                                           order_by=Tag.key)

    @property
    def reference(self) -> str:
        return f"{REFERENCE_PREFIX}{self.number}"

    @property
    def subject_tag(self) -> str:
        """What outgoing emails put in their subject, so replies find the ticket."""
        return f"[#{self.reference}]"


class TicketComment(UUIDPk, Base):
    """A public reply or an internal note, written by an agent or by the customer.

    ``message_id`` / ``in_reply_to`` carry the email headers when the comment came by or went
    out as email, so replies thread onto the right ticket.
    """

    __tablename__ = "ticket_comments"
    __table_args__ = (Index("ix_ticket_comments_ticket", "ticket_id", "created_at", "id"),)

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author_kind: Mapped[str] = mapped_column(String(10))  # agent | customer
    author_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    public: Mapped[bool] = mapped_column(Boolean, default=True)
    body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(500), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=now)

    attachments: Mapped[list[TicketAttachment]] = relationship(
        lazy="selectin", order_by="TicketAttachment.created_at")


class TicketAttachment(UUIDPk, Base):
    """A file on a comment. The bytes live under ``Settings.attachment_dir``, named by their
    sha256 (so the same file uploaded twice is stored once)."""

    __tablename__ = "ticket_attachments"

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                                 index=True)
    comment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ticket_comments.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    uploaded_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=now)


class BusinessCalendar(UUIDPk, Timestamps, Versioned, Base):
    """Opening hours in a time zone: ``hours`` maps mon..sun to [["09:00", "17:00"], ...]
    (local wall-clock times, "24:00" ends a day); ``holidays`` lists closed ISO dates."""

    __tablename__ = "business_calendars"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    time_zone: Mapped[str] = mapped_column(String(64))
    hours: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    holidays: Mapped[list[Any]] = mapped_column(JSONType, default=list)


class SlaPolicy(UUIDPk, Timestamps, Versioned, Base):
    """Targets for tickets of one priority, optionally only for a customer tier: a tag, or a
    custom field value, on the ticket's contact or company."""

    __tablename__ = "sla_policies"

    name: Mapped[str] = mapped_column(String(120), unique=True)
    priority: Mapped[str] = mapped_column(String(10), index=True)
    match_tag: Mapped[str | None] = mapped_column(String(80))
    match_field: Mapped[str | None] = mapped_column(String(63))
    match_value: Mapped[str | None] = mapped_column(String(200))
    calendar_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("business_calendars.id", ondelete="RESTRICT"), index=True)
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    warning_percent: Mapped[int] = mapped_column(Integer, default=80)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TicketSlaEvent(UUIDPk, Base):
    """A warning or breach of one target of one ticket, recorded once."""

    __tablename__ = "ticket_sla_events"
    __table_args__ = (UniqueConstraint("ticket_id", "target", "kind"),)

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(20))  # first_response | resolution
    kind: Mapped[str] = mapped_column(String(10))  # warning | breach
    due_at: Mapped[datetime] = mapped_column()
    occurred_at: Mapped[datetime] = mapped_column()  # the warning or due time passed
    recorded_at: Mapped[datetime] = mapped_column(default=now, index=True)


class TicketSurvey(UUIDPk, Base):
    """One satisfaction survey sent on resolution; its link works once, until ``expires_at``
    and until a newer survey of the same ticket replaces it."""

    __tablename__ = "ticket_surveys"

    ticket_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"),
                                                 index=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=now)
    expires_at: Mapped[datetime] = mapped_column()
    superseded_at: Mapped[datetime | None] = mapped_column(default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    score: Mapped[int | None] = mapped_column(Integer, default=None)
    comment: Mapped[str | None] = mapped_column(Text)


class ContactSatisfaction(Base):
    """A contact's survey answers so far: the average is ``score_total / responses``."""

    __tablename__ = "contact_satisfaction"

    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    responses: Mapped[int] = mapped_column(Integer, default=0)
    score_total: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=now)


class TeamRouting(Base):
    """How new tickets of a team are assigned; ``last_user_id`` is the round-robin cursor."""

    __tablename__ = "ticket_routing"

    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"),
                                               primary_key=True)
    mode: Mapped[str] = mapped_column(String(20), default="manual")
    last_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)


class AgentStatus(Base):
    """An agent marked away (until a time, or until marked back) gets no automatic tickets."""

    __tablename__ = "ticket_agents"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               primary_key=True)
    away: Mapped[bool] = mapped_column(Boolean, default=False)
    away_until: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)
