"""Webhook subscriptions, their delivery log, and the broker publisher's cursor."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from amity.core.clock import now
from amity.core.db import Base, JSONType
from amity.core.mixins import SoftDelete, Timestamps, UUIDPk, Versioned

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
EVENT, PING = "event", "ping"


class WebhookSubscription(UUIDPk, Timestamps, Versioned, SoftDelete, Base):
    """Where to POST which events. ``secret`` signs every request: it is stored (signing needs
    it) but returned only when created or rotated. ``next_seq`` numbers the deliveries;
    ``sender_*`` is the lease of the one sender delivering them, strictly in order."""

    __tablename__ = "webhook_subscriptions"

    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(500), default="")
    event_types: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    secret: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))
    disabled_at: Mapped[datetime | None] = mapped_column()
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    failing_since: Mapped[datetime | None] = mapped_column()
    last_success_at: Mapped[datetime | None] = mapped_column()
    last_failure_at: Mapped[datetime | None] = mapped_column()
    next_seq: Mapped[int] = mapped_column(Integer, default=0)
    sender_owner: Mapped[str | None] = mapped_column(String(120))
    sender_until: Mapped[datetime | None] = mapped_column()


class WebhookDelivery(UUIDPk, Base):
    """One event for one subscription (or a test ping), with its last attempt's outcome.

    The id is sent as ``X-Amity-Delivery`` on every attempt, so receivers can de-duplicate.
    """

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "seq"),
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_webhook_deliveries_sub_status_seq", "subscription_id", "status", "seq"),
        Index("ix_webhook_deliveries_sub_created", "subscription_id", "created_at", "id"),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        Uuid(), ForeignKey("webhook_subscriptions.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10), default=EVENT)
    seq: Mapped[int | None] = mapped_column(Integer)  # order within the subscription
    event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    event_type: Mapped[str] = mapped_column(String(80))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(10), default=PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=now)
    delivered_at: Mapped[datetime | None] = mapped_column()
    last_attempt_at: Mapped[datetime | None] = mapped_column()
    status_code: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(Text)


class BrokerCursor(Base):
    """How far the broker publisher has got in the events outbox, in (occurred_at, id) order,
    and the lease of the one publisher allowed to move it."""

    __tablename__ = "broker_cursors"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    last_occurred_at: Mapped[datetime | None] = mapped_column()
    last_event_id: Mapped[uuid.UUID | None] = mapped_column(Uuid())
    published: Mapped[int] = mapped_column(Integer, default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(120))
    lease_until: Mapped[datetime | None] = mapped_column()
    last_published_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[datetime | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=now)
