"""The person record and its emails and phone numbers.

Emails and phones are rows (they are searched, matched and de-duplicated); addresses, social
profiles and important dates are validated JSON lists read with the person.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Column, ForeignKey, Index, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from amity.companies.models import Company
from amity.core import audit
from amity.core.db import Base, JSONType
from amity.core.mixins import Record, UUIDPk
from amity.core.tags import Tag

LIFECYCLE_STAGES = ("subscriber", "lead", "qualified", "opportunity", "customer", "evangelist",
                    "churned")
CHANNELS = ("email", "phone", "sms", "chat", "social", "in_person", "mail")
# the audit log stores "***" instead of these values (custom fields marked sensitive too)
audit.register_sensitive("contact", "personal_notes")

contact_tags = Table(
    "contact_tags", Base.metadata,
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class ContactEmail(UUIDPk, Base):
    __tablename__ = "contact_emails"

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"),
                                                  index=True)
    email: Mapped[str] = mapped_column(String(320), index=True)
    label: Mapped[str | None] = mapped_column(String(40))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(default=0)


class ContactPhone(UUIDPk, Base):
    __tablename__ = "contact_phones"

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"),
                                                  index=True)
    e164: Mapped[str] = mapped_column(String(20), index=True)
    label: Mapped[str | None] = mapped_column(String(40))
    is_primary: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(default=0)


class Contact(Record, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_sort_name", "sort_name", "id"),
        Index("ix_contacts_created_id", "created_at", "id"),
        Index("ix_contacts_updated_id", "updated_at", "id"),
    )

    first_name: Mapped[str] = mapped_column(String(200), default="")
    last_name: Mapped[str] = mapped_column(String(200), default="")
    nickname: Mapped[str | None] = mapped_column(String(200))
    job_title: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(200))
    company_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("companies.id", ondelete="SET NULL"), index=True)
    lifecycle_stage: Mapped[str] = mapped_column(String(20), default="lead", index=True)
    source: Mapped[str | None] = mapped_column(String(120), index=True)
    referred_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    birthday: Mapped[date | None] = mapped_column()
    gender: Mapped[str | None] = mapped_column(String(40))
    language: Mapped[str | None] = mapped_column(String(20))
    time_zone: Mapped[str | None] = mapped_column(String(64))
    preferred_channel: Mapped[str | None] = mapped_column(String(20))
    best_time_to_contact: Mapped[str | None] = mapped_column(String(200))
    do_not_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    personal_notes: Mapped[str | None] = mapped_column(Text)
    addresses: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    social_profiles: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    important_dates: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    last_contacted_at: Mapped[datetime | None] = mapped_column(default=None)
    # latest interaction that has happened (``activities`` keeps both up to date)
    last_activity_at: Mapped[datetime | None] = mapped_column(default=None)
    erased_at: Mapped[datetime | None] = mapped_column(default=None)  # GDPR erasure done
    # Derived, maintained by the service: folded "last first" for sorting, and one folded
    # string of names, emails and phone digits that the search indexes cover.
    sort_name: Mapped[str] = mapped_column(String(400), default="")
    search_text: Mapped[str] = mapped_column(Text, default="")

    emails: Mapped[list[ContactEmail]] = relationship(
        lazy="selectin", order_by=ContactEmail.position, cascade="all, delete-orphan")
    phones: Mapped[list[ContactPhone]] = relationship(
        lazy="selectin", order_by=ContactPhone.position, cascade="all, delete-orphan")
    tags: Mapped[list[Tag]] = relationship(secondary=contact_tags, lazy="selectin",
                                           order_by=Tag.key)
    company: Mapped[Company | None] = relationship(lazy="selectin")

    @property
    def display_name(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        if name:
            return name
        return self.emails[0].email if self.emails else "(no name)"

    @property
    def primary_email(self) -> str | None:
        return next((e.email for e in self.emails if e.is_primary), None) or (
            self.emails[0].email if self.emails else None)

    @property
    def primary_phone(self) -> str | None:
        return next((p.e164 for p in self.phones if p.is_primary), None) or (
            self.phones[0].e164 if self.phones else None)


CONSENT_PURPOSES = ("marketing", "newsletter", "transactional", "profiling", "third_party")
CONSENT_STATUSES = ("given", "withdrawn")


class ContactConsent(UUIDPk, Base):
    """One consent event (given or withdrawn) for a purpose on a channel; append-only.

    The current state for (contact, purpose, channel) is its latest row; no row means no
    consent. Every email and automation feature asks ``contacts.consent.may_contact``.
    """

    __tablename__ = "contact_consents"
    __table_args__ = (Index("ix_contact_consents_lookup", "contact_id", "purpose", "channel",
                            "recorded_at"),)

    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    recorded_at: Mapped[datetime] = mapped_column()
    source: Mapped[str | None] = mapped_column(String(200))  # "web form", "phone call", ...
    note: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"))
