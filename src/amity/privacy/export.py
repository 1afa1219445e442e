"""Export everything held about one person (a subject access request): JSON or an HTML page.

JSON is complete and machine-readable; HTML is the same data for people, every value escaped.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from amity.activities.privacy import export_activities
from amity.auth.models import User
from amity.commerce.privacy import export_commerce
from amity.contacts.consent import consent_history, current_consents
from amity.contacts.models import Contact, ContactConsent
from amity.contacts.schemas import ContactRead
from amity.core import audit
from amity.core.audit import AuditEntry
from amity.core.clock import now
from amity.core.customfields import definitions_for
from amity.core.errors import ValidationFailed
from amity.notes.models import Note
from amity.tickets.privacy import export_tickets

FORMATS = ("json", "html")


def _consent(row: ContactConsent) -> dict[str, Any]:
    return {"purpose": row.purpose, "channel": row.channel, "status": row.status,
            "recorded_at": row.recorded_at.isoformat(), "source": row.source, "note": row.note}


def _entry(e: AuditEntry) -> dict[str, Any]:
    return {"at": e.at.isoformat(), "actor_id": str(e.actor_id) if e.actor_id else None,
            "action": e.action, "entity_type": e.entity_type,
            "entity_id": str(e.entity_id) if e.entity_id else None, "changes": e.changes}


def _brief(c: Contact) -> dict[str, Any]:
    return {"id": str(c.id), "display_name": c.display_name}


def collect(db: Session, contact: Contact) -> dict[str, Any]:
    """Everything about ``contact`` as JSON-ready data (reads only)."""
    notes = list(db.scalars(select(Note).where(Note.entity_type == "contact",
                                               Note.entity_id == contact.id)
                            .order_by(Note.created_at, Note.id)))
    note_ids = [n.id for n in notes]
    history = list(db.scalars(
        select(AuditEntry).where(or_(
            (AuditEntry.entity_type == "contact") & (AuditEntry.entity_id == contact.id),
            (AuditEntry.entity_type == "note") & AuditEntry.entity_id.in_(note_ids)))
        .order_by(AuditEntry.at, AuditEntry.id)))
    consents = consent_history(db, contact.id)
    referred_by = db.get(Contact, contact.referred_by_id) if contact.referred_by_id else None
    referrals = list(db.scalars(select(Contact).where(Contact.referred_by_id == contact.id)
                                .order_by(Contact.sort_name, Contact.id)))
    labels = {k: d.label for k, d in definitions_for(db, "contact").items()}
    company = contact.company
    return {
        "exported_at": now().isoformat(),
        "contact": {**ContactRead.model_validate(contact).model_dump(mode="json"),
                    "erased_at": contact.erased_at.isoformat() if contact.erased_at else None},
        "custom_field_labels": {k: labels.get(k, k) for k in contact.custom_fields or {}},
        "company": ({"id": str(company.id), "name": company.name, "domain": company.domain,
                     "website": company.website} if company else None),
        "notes": [{"id": str(n.id), "body": n.body, "pinned": n.pinned,
                   "author_id": str(n.author_id) if n.author_id else None,
                   "created_at": n.created_at.isoformat(),
                   "updated_at": n.updated_at.isoformat(),
                   "deleted_at": n.deleted_at.isoformat() if n.deleted_at else None}
                  for n in notes],
        "consents": {"current": [_consent(r) for r in current_consents(consents)],
                     "history": [_consent(r) for r in consents]},
        "history": [_entry(e) for e in history],
        "referred_by": _brief(referred_by) if referred_by else None,
        "referrals": [_brief(r) for r in referrals],
        **export_activities(db, contact_id=contact.id),
        **export_tickets(db, contact_id=contact.id),
        **export_commerce(db, contact_id=contact.id),
    }


_env = Environment(loader=PackageLoader("amity.privacy", "templates"),
                   autoescape=select_autoescape(default=True, default_for_string=True),
                   trim_blocks=True, lstrip_blocks=True)
_env.filters["pretty"] = lambda v: json.dumps(v, ensure_ascii=False, indent=1)


def render_html(data: dict[str, Any]) -> str:
    """A self-contained, escaped HTML page of an export."""
    return _env.get_template("export.html").render(d=data, c=data["contact"])


def export_contact(db: Session, *, contact: Contact, fmt: str,
                   actor: User | None) -> tuple[str, str]:
    """The export as (media type, text); the export itself is audited (action 'export')."""
    if fmt not in FORMATS:
        raise ValidationFailed("export.format", "format must be json or html", "format")
    data = collect(db, contact)
    audit.record(db, actor_id=actor.id if actor else None, action="export",
                 entity_type="contact", entity_id=contact.id,
                 changes={"format": [None, fmt], "via": [None, "api" if actor else "cli"]})
    if fmt == "json":
        return "application/json", json.dumps(data, ensure_ascii=False, indent=2)
    return "text/html; charset=utf-8", render_html(data)


def contact_for_export(db: Session, contact_id: uuid.UUID) -> Contact | None:
    """A contact by id, deleted or not (the command line has no access layer)."""
    return db.get(Contact, contact_id)
