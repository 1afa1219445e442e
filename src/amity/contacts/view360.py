"""The contact 360 view: the person, their company, relations, latest timeline and purchase
history in one call.

A fixed number of queries whatever the size of the history (asserted by tests).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from amity.activities.timeline import timeline as contact_timeline
from amity.auth.models import User
from amity.commerce.history import purchase_summary
from amity.contacts.models import Contact, ContactEmail
from amity.contacts.schemas import (
    CompanyBrief,
    Contact360,
    ContactBrief,
    ContactRead,
)
from amity.core.clock import now
from amity.notes.models import Note
from amity.tickets.queries import service_summary

AnySelect = Select[*tuple[Any, ...]]
ScopeContacts = Callable[[AnySelect], AnySelect]
ScopeOrders = Callable[[AnySelect], AnySelect]
ScopeTickets = Callable[[AnySelect], AnySelect]


def _brief(db: Session, contact_id: uuid.UUID, scope: ScopeContacts) -> ContactBrief | None:
    """Id and display name of a live contact in one statement (``Contact.display_name``'s
    rule: the name, else the first email); loading the whole record pulled its emails, phones,
    tags and company too."""
    first_email = (select(ContactEmail.email).where(ContactEmail.contact_id == Contact.id)
                   .order_by(ContactEmail.position).limit(1).scalar_subquery())
    row = db.execute(scope(select(Contact.first_name, Contact.last_name, first_email)
                           .where(Contact.id == contact_id, Contact.deleted_at.is_(None)))
                     ).first()
    if row is None:
        return None
    first, last, email = row
    return ContactBrief(id=contact_id,
                        display_name=f"{first} {last}".strip() or email or "(no name)")


def contact_360(db: Session, contact: Contact, *, visible_contacts: ScopeContacts,
                visible_orders: ScopeOrders | None = None, reader: User | None = None,
                visible_tickets: ScopeTickets | None = None,
                timeline_limit: int = 20) -> Contact360:
    """``visible_contacts`` restricts a select on contacts to those the reader may see (the
    access layer's ``scoped``): the referrer and referrals are shown only within it.
    ``visible_orders`` does the same for orders (``commerce.queries.order_scope``); the
    purchase summary counts only those, and is left out (None) without it. The timeline is
    the first page of ``activities.timeline`` as ``reader`` may see it (notes, interactions
    and tasks only without a reader). ``visible_tickets`` restricts the service summary
    (``tickets.queries.service_summary``) to the tickets the reader may see; without it the
    summary is left out."""
    referred_by = None
    if contact.referred_by_id:
        referred_by = _brief(db, contact.referred_by_id, visible_contacts)
    referrals = list(db.execute(visible_contacts(
        select(Contact.id, Contact.first_name, Contact.last_name)
        .where(Contact.referred_by_id == contact.id, Contact.deleted_at.is_(None))
        .order_by(Contact.sort_name).limit(50))))
    timeline, next_cursor = contact_timeline(db, reader, contact_id=contact.id,
                                             limit=timeline_limit)
    notes_count = int(db.scalar(select(func.count()).select_from(Note).where(
        Note.entity_type == "contact", Note.entity_id == contact.id,
        Note.deleted_at.is_(None))) or 0)
    return Contact360(
        contact=ContactRead.model_validate(contact),
        company=CompanyBrief.model_validate(contact.company) if contact.company else None,
        referred_by=referred_by,
        referrals=[ContactBrief(id=r.id, display_name=f"{r.first_name} {r.last_name}".strip()
                                or "(no name)") for r in referrals],
        timeline=timeline,
        timeline_next_cursor=next_cursor,
        notes_count=notes_count,
        purchases=None if visible_orders is None else purchase_summary(
            db, contact_id=contact.id, today=now().date(), visible_orders=visible_orders),
        service=None if visible_tickets is None else service_summary(db, contact.id,
                                                                     visible_tickets),
    )
