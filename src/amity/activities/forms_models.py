"""Hosted web-to-lead forms, what was submitted through them, and signed ingestion channels.

A form's fields and consent checkboxes are validated JSON lists read with the form (a form has
a handful). A submission keeps the raw values as sent, the contact it found or created, and the
values it did not write because the contact already had different ones. A channel is where a
provider (a chat widget, an SMS gateway, a phone system) pushes interactions, signed with the
channel's secret.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from amity.core import audit
from amity.core.clock import now
from amity.core.db import Base, JSONType
from amity.core.mixins import SoftDelete, Timestamps, UUIDPk, Versioned

CHANNEL_KINDS = ("chat", "social", "sms", "call", "other")
audit.register_sensitive("ingest_channel", "secret")


class Form(UUIDPk, Timestamps, Versioned, SoftDelete, Base):
    """A web-to-lead form; ``public_key`` names it in /f/{key} (public: it is in the page)."""

    __tablename__ = "forms"

    name: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    submit_label: Mapped[str] = mapped_column(String(60), default="Send")
    fields: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    consents: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("web_sites.id", ondelete="SET NULL"), index=True)
    lifecycle_stage: Mapped[str | None] = mapped_column(String(20))
    source: Mapped[str | None] = mapped_column(String(120))
    tags: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    owner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    success_message: Mapped[str | None] = mapped_column(Text)
    redirect_url: Mapped[str | None] = mapped_column(String(2000))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    min_fill_seconds: Mapped[int] = mapped_column(Integer, default=3)
    rate_limit_per_minute: Mapped[int] = mapped_column(Integer, default=60)
    per_ip_per_hour: Mapped[int] = mapped_column(Integer, default=10)
    # who records public submissions in the audit log (the form's creator)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
    # the key's current one-minute window, counted in one UPDATE per submission
    window_start: Mapped[datetime | None] = mapped_column(default=None)
    window_count: Mapped[int] = mapped_column(Integer, default=0)


class FormSubmission(UUIDPk, Base):
    __tablename__ = "form_submissions"
    __table_args__ = (
        UniqueConstraint("form_id", "client_id"),
        Index("ix_form_submissions_form_created", "form_id", "created_at", "id"),
        Index("ix_form_submissions_form_ip", "form_id", "ip", "created_at"),
    )

    form_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    client_id: Mapped[str | None] = mapped_column(String(100))  # the sender's submission id
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    contact_created: Mapped[bool] = mapped_column(Boolean, default=False)
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="SET NULL"))
    visitor_key: Mapped[str | None] = mapped_column(String(64))
    values: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    conflicts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    consents: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=now)


class IngestChannel(UUIDPk, Timestamps, Versioned, SoftDelete, Base):
    """A provider pushing interactions to /hooks/channels/{id}, signed with ``secret``.

    The secret is kept as it is (an HMAC needs it to verify) and never shown after it is made.
    """

    __tablename__ = "ingest_channels"

    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(12))
    secret: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    create_contacts: Mapped[bool] = mapped_column(Boolean, default=False)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(default=None)
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
