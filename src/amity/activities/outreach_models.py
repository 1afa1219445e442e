"""Email templates, sites that send web events, their visitors and the web events themselves.

A web event (a page view, a download, a form submitted, an email opened or clicked) belongs to
a site and its visitor (the snippet's cookie) or to an email interaction, and to a contact once
the visitor is known. Events are many: a narrow row, written in bulk, read by contact and time.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from amity.core.clock import now
from amity.core.db import Base
from amity.core.mixins import SoftDelete, Timestamps, UUIDPk, Versioned

WEB_EVENT_TYPES = ("page_view", "download", "form_submit")
EMAIL_EVENT_TYPES = ("email_open", "email_click")
EMAIL_PURPOSES = ("marketing", "newsletter", "transactional")


class EmailTemplate(UUIDPk, Timestamps, Versioned, SoftDelete, Base):
    __tablename__ = "email_templates"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    subject: Mapped[str] = mapped_column(String(998))
    body: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(20), default="marketing")


class WebSite(UUIDPk, Timestamps, Versioned, SoftDelete, Base):
    """A website whose snippet sends events with ``public_key`` (public: it is in the page)."""

    __tablename__ = "web_sites"

    name: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[str] = mapped_column(String(64), unique=True)
    allowed_origins: Mapped[list[Any]] = mapped_column(default=list)
    rate_limit_per_minute: Mapped[int] = mapped_column(Integer, default=6000)
    # the current one-minute window of the rate limit, counted in one UPDATE per request
    window_start: Mapped[datetime | None] = mapped_column(default=None)
    window_count: Mapped[int] = mapped_column(Integer, default=0)


class WebVisitor(UUIDPk, Base):
    """One browser on one site (the snippet's cookie); ``contact_id`` once it identified."""

    __tablename__ = "web_visitors"
    __table_args__ = (UniqueConstraint("site_id", "visitor_key"),)

    site_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("web_sites.id", ondelete="CASCADE"))
    visitor_key: Mapped[str] = mapped_column(String(64))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    first_seen_at: Mapped[datetime] = mapped_column(default=now)


class WebEvent(UUIDPk, Base):
    __tablename__ = "web_events"
    __table_args__ = (
        Index("ix_web_events_contact_occurred", "contact_id", "occurred_at"),
        Index("ix_web_events_visitor", "site_id", "visitor_key"),
    )

    type: Mapped[str] = mapped_column(String(20))
    site_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("web_sites.id", ondelete="CASCADE"))
    visitor_key: Mapped[str | None] = mapped_column(String(64))
    contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"))
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), index=True)
    url: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str | None] = mapped_column(String(500))
    referrer: Mapped[str | None] = mapped_column(String(2000))
    occurred_at: Mapped[datetime] = mapped_column(default=now)
    received_at: Mapped[datetime] = mapped_column(default=now)
