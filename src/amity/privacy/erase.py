"""Erase a person (GDPR right to erasure): personal data removed or anonymised everywhere.

The contact row stays (marked erased and deleted) so relations and counts keep working: names
become "Erased contact"; emails and phones are deleted; every other personal field, custom
fields included, is cleared; notes on the contact read "[erased]"; consent rows lose their
free-text source and note; order notes, deal descriptions and next steps, and the person's
name inside deal names become "[erased]" (amounts, products and stage history stay, so revenue
and forecasts do not change); audit entries about the contact and its notes keep their keys but
lose their values; event payloads about them keep only ids; stored idempotent responses that
mention the contact are deleted. Tags, lifecycle stage, source, owner, company and referral
links are kept: they describe the business relationship, not the person. Running it again is
harmless and scrubs anything recorded since.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Text, cast, delete, or_, select, update
from sqlalchemy.orm import Session

from amity.activities.privacy import erase_activities
from amity.auth.models import User
from amity.commerce.privacy import erase_commerce
from amity.contacts.models import Contact, ContactConsent
from amity.core import audit
from amity.core.audit import AuditEntry
from amity.core.clock import now
from amity.core.errors import ValidationFailed
from amity.core.events import DomainEvent, EventRecord, publish
from amity.core.idempotency import IdempotencyRecord
from amity.dedupe.privacy import erase_dedupe
from amity.notes.models import Note
from amity.tickets.privacy import erase_tickets

ERASED_NAME = "Erased contact"
ERASED_NOTE = "[erased]"
CLEARED = ("nickname", "job_title", "department", "birthday", "gender", "language",
           "time_zone", "preferred_channel", "best_time_to_contact", "personal_notes")
EMPTIED = ("addresses", "social_profiles", "important_dates")


@dataclass(frozen=True)
class ContactErased(DomainEvent):
    type = "contact.erased"
    contact_id: uuid.UUID


@dataclass
class Erasure:
    contact_id: uuid.UUID
    erased_at: datetime
    already_erased: bool
    notes_erased: int
    audit_entries_scrubbed: int
    events_scrubbed: int
    idempotency_records_deleted: int


def _anonymise(contact: Contact, at: datetime) -> None:
    contact.first_name, contact.last_name = ERASED_NAME, ""
    for key in CLEARED:
        setattr(contact, key, None)
    for key in EMPTIED:
        setattr(contact, key, [])
    contact.emails, contact.phones = [], []
    contact.custom_fields = {}  # no validation: required fields must not block an erasure
    contact.do_not_contact = True
    contact.sort_name = contact.search_text = ""  # the FTS triggers drop the old terms
    contact.erased_at = contact.erased_at or at
    contact.deleted_at = contact.deleted_at or at
    contact.updated_at = at


def _ids_only(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v if k.endswith("_id") or k == "entity_type" else audit.MASK
            for k, v in payload.items()}


def erase_contact(db: Session, *, contact: Contact, confirm: str,
                  actor: User | None) -> Erasure:
    """Erase ``contact``; ``confirm`` must repeat its id. Audited (action 'erase')."""
    if confirm.strip().lower() != str(contact.id):
        raise ValidationFailed("erase.confirm", "To erase this contact, send its id as "
                               "'confirm'", "confirm")
    at = now()
    already = contact.erased_at is not None
    names = [contact.first_name, contact.last_name, contact.nickname]
    _anonymise(contact, at)
    db.execute(update(ContactConsent).where(ContactConsent.contact_id == contact.id)
               .values(source=None, note=None))
    notes = list(db.scalars(select(Note).where(Note.entity_type == "contact",
                                               Note.entity_id == contact.id)))
    for note in notes:
        if note.body != ERASED_NOTE:
            note.body, note.updated_at = ERASED_NOTE, at
    note_ids = [n.id for n in notes]
    ids = [contact.id, *note_ids]
    activity_ids = erase_activities(db, contact_id=contact.id)
    ticket_ids = erase_tickets(db, contact_id=contact.id)
    erase_commerce(db, contact_id=contact.id, names=[] if already else names)
    erase_dedupe(db, contact_id=contact.id)
    entries = list(db.scalars(select(AuditEntry).where(
        or_((AuditEntry.entity_type == "contact") & (AuditEntry.entity_id == contact.id),
            (AuditEntry.entity_type == "note") & AuditEntry.entity_id.in_(note_ids),
            AuditEntry.entity_type.in_(("interaction", "task"))
            & AuditEntry.entity_id.in_(activity_ids),
            (AuditEntry.entity_type == "ticket") & AuditEntry.entity_id.in_(ticket_ids)))))
    for entry in entries:
        entry.changes = audit.scrub(entry.changes or {})
    mention = or_(*(cast(EventRecord.payload, Text).contains(str(i)) for i in ids))
    events = list(db.scalars(select(EventRecord).where(
        or_(EventRecord.entity_id.in_(ids), mention))))
    for event in events:
        event.payload = _ids_only(event.payload or {})
    stored = db.execute(delete(IdempotencyRecord).where(
        cast(IdempotencyRecord.body, Text).contains(str(contact.id))))
    db.flush()
    audit.record(db, actor_id=actor.id if actor else None, action="erase",
                 entity_type="contact", entity_id=contact.id,
                 changes={"repeat": [None, already], "via": [None, "api" if actor else "cli"]})
    publish(db, ContactErased(contact_id=contact.id))
    return Erasure(contact_id=contact.id, erased_at=contact.erased_at or at,
                   already_erased=already, notes_erased=len(note_ids),
                   audit_entries_scrubbed=len(entries), events_scrubbed=len(events),
                   idempotency_records_deleted=int(getattr(stored, "rowcount", 0) or 0))
