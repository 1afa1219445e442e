"""Consent: append-only events (given / withdrawn) per purpose and channel, and ``may_contact``.

Every feature that sends email or reaches out automatically must ask ``may_contact`` first.
The rule:

* never when the contact is marked do-not-contact, erased or deleted;
* ``transactional`` messages (receipts, password resets, order updates) are allowed without an
  explicit consent row, unless one was withdrawn for that channel;
* every other purpose needs the latest consent row for (purpose, channel) to be ``given``; no
  row means no consent.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.auth.models import User
from amity.contacts.models import (
    CHANNELS,
    CONSENT_PURPOSES,
    CONSENT_STATUSES,
    Contact,
    ContactConsent,
)
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import ValidationFailed
from amity.core.events import DomainEvent, publish

IMPLIED_PURPOSES = ("transactional",)  # allowed unless explicitly withdrawn


@dataclass(frozen=True)
class ContactConsentChanged(DomainEvent):
    type = "contact.consent_changed"
    contact_id: uuid.UUID
    purpose: str = ""
    channel: str = ""
    status: str = ""


def _check(purpose: str, channel: str, status: str | None = None) -> None:
    if purpose not in CONSENT_PURPOSES:
        raise ValidationFailed("consent.purpose", f"purpose must be one of "
                               f"{', '.join(CONSENT_PURPOSES)}", "purpose")
    if channel not in CHANNELS:
        raise ValidationFailed("consent.channel", f"channel must be one of "
                               f"{', '.join(CHANNELS)}", "channel")
    if status is not None and status not in CONSENT_STATUSES:
        raise ValidationFailed("consent.status", "status must be 'given' or 'withdrawn'",
                               "status")


def latest_consent(db: Session, contact_id: uuid.UUID, purpose: str,
                   channel: str) -> ContactConsent | None:
    return db.scalar(select(ContactConsent)
                     .where(ContactConsent.contact_id == contact_id,
                            ContactConsent.purpose == purpose, ContactConsent.channel == channel)
                     .order_by(ContactConsent.recorded_at.desc()).limit(1))


def record_consent(db: Session, *, contact: Contact, purpose: str, channel: str, status: str,
                   actor: User | None, source: str | None = None,
                   note: str | None = None) -> ContactConsent:
    """Append a consent event; audited and announced as ``contact.consent_changed``."""
    _check(purpose, channel, status)
    if contact.erased_at is not None:
        raise ValidationFailed("contact.erased", "This contact was erased; nothing more can be "
                               "recorded about them")
    previous = latest_consent(db, contact.id, purpose, channel)
    at = now()
    if previous is not None and previous.recorded_at >= at:  # keep "latest" unambiguous
        at = previous.recorded_at + timedelta(microseconds=1)
    row = ContactConsent(id=uuid.uuid4(), contact_id=contact.id, purpose=purpose,
                         channel=channel, status=status, recorded_at=at, source=source,
                         note=note, actor_id=actor.id if actor else None)
    db.add(row)
    db.flush()
    audit.record(db, actor_id=actor.id if actor else None, action="consent",
                 entity_type="contact", entity_id=contact.id,
                 changes={f"consent.{purpose}.{channel}":
                          [previous.status if previous else None, status],
                          "source": [None, source]})
    publish(db, ContactConsentChanged(contact_id=contact.id, purpose=purpose, channel=channel,
                                      status=status))
    return row


def consent_history(db: Session, contact_id: uuid.UUID) -> list[ContactConsent]:
    """Every consent event of a contact, newest first."""
    return list(db.scalars(select(ContactConsent).where(ContactConsent.contact_id == contact_id)
                           .order_by(ContactConsent.recorded_at.desc(),
                                     ContactConsent.purpose, ContactConsent.channel)))


def current_consents(history: list[ContactConsent]) -> list[ContactConsent]:
    """The latest event per (purpose, channel), from a newest-first history."""
    seen: dict[tuple[str, str], ContactConsent] = {}
    for row in history:
        seen.setdefault((row.purpose, row.channel), row)
    return sorted(seen.values(), key=lambda r: (r.purpose, r.channel))


def may_contact(db: Session, contact: Contact, purpose: str, channel: str) -> bool:
    """May we reach ``contact`` for ``purpose`` on ``channel``? (rule in the module doc)"""
    _check(purpose, channel)
    if contact.do_not_contact or contact.erased_at is not None or contact.deleted_at is not None:
        return False
    latest = latest_consent(db, contact.id, purpose, channel)
    if latest is None:
        return purpose in IMPLIED_PURPOSES
    return latest.status == "given"
