"""The hot-lead alert: when a contact's score crosses the threshold upwards, its owner (or
the configured fallback user) gets an in-app notification, an email and a call task due today.

Once per crossing: the notification's dedupe key is ``hot-lead:<contact>:<crossing>``; the
task is created only with a new notification (same transaction); the job mails once per key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.activities.models import Notification
from amity.activities.service import create_task
from amity.auth.models import User
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.core.db import is_postgres
from amity.scoring.rules import get_settings


@dataclass(frozen=True)
class HotLeadAlert:
    recipient: User
    contact: Contact
    key: str
    subject: str
    body: str
    new: bool  # the notification and task were made now (False: an earlier run made them)


def recipient_for(db: Session, contact: Contact) -> User | None:
    """The contact's owner if active, else the fallback user if set and active."""
    for uid in (contact.owner_id, get_settings(db).fallback_user_id):
        user = db.get(User, uid) if uid is not None else None
        if user is not None and user.is_active:
            return user
    return None


def hot_lead_alert(db: Session, *, contact_id: uuid.UUID, crossing: int, score: int,
                   threshold: int, base_url: str) -> HotLeadAlert | None:
    """Notify and create the call task for one crossing; None when nobody is to be alerted
    (alerts off, the contact gone or cooled down since, no owner and no fallback)."""
    settings = get_settings(db)
    contact = db.get(Contact, contact_id)
    if not settings.alert_enabled or contact is None or contact.deleted_at is not None:
        return None
    user = recipient_for(db, contact)
    if user is None:
        return None
    key = f"hot-lead:{contact.id}:{crossing}"
    name = contact.display_name
    url = f"{base_url.rstrip('/')}/contacts/{contact.id}"
    subject = f"Hot lead: {name} (score {score})"
    body = (f"{name} has reached a lead score of {score} (threshold {threshold}).\n"
            f"A call task due today has been added for you.\n\n{url}\n")
    at = now()
    ins = postgresql.insert(Notification) if is_postgres(db) else sqlite.insert(Notification)
    made = db.execute(ins.values(id=uuid.uuid4(), user_id=user.id, kind="hot_lead",
                                 title=subject[:300], body=body, entity_type="contact",
                                 entity_id=contact.id, dedupe_key=key, created_at=at)
                      .on_conflict_do_nothing(index_elements=["dedupe_key"])
                      .returning(Notification.id)).scalar()
    if made is not None:
        due = datetime.combine(at.astimezone(UTC).date(), time(23, 59), tzinfo=UTC)
        create_task(db, title=f"Call {name} (hot lead)"[:300], actor=user, due_at=due,
                    assignee_id=user.id, priority="high", contact_id=contact.id,
                    description=f"Lead score {score} crossed the threshold {threshold}.",
                    reminder_at=None)
    return HotLeadAlert(recipient=user, contact=contact, key=key, subject=subject, body=body,
                        new=made is not None)


def alerted(db: Session, contact_id: uuid.UUID) -> int:
    """How many hot-lead notifications the contact caused (tests, the score page)."""
    return len(list(db.scalars(select(Notification.id).where(
        Notification.kind == "hot_lead", Notification.entity_id == contact_id))))
