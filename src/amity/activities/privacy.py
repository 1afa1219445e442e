"""What a person's erasure and export need from activities: the interactions they took part in
and the tasks about them (personal data: what was said, where, by which handle)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from amity.activities.forms_privacy import erase_submissions, export_submissions
from amity.activities.models import Interaction, InteractionParticipant, Task

ERASED = "[erased]"
P = InteractionParticipant


def _interaction_ids(db: Session, contact_id: uuid.UUID) -> list[uuid.UUID]:
    return list(db.scalars(select(P.interaction_id).where(P.contact_id == contact_id)))


def erase_activities(db: Session, *, contact_id: uuid.UUID) -> list[uuid.UUID]:
    """Blank the content of the person's interactions (subject, body, place, handles, names
    given to participants) and of the tasks about them; the records, times and links stay.
    Returns the ids changed, for the audit entries about them to be scrubbed."""
    ids = _interaction_ids(db, contact_id)
    erase_submissions(db, contact_id=contact_id)
    if ids:
        db.execute(update(Interaction).where(Interaction.id.in_(ids)).values(
            subject=ERASED, body=None, location=None, handle=None, url=None,
            updated_at=Interaction.updated_at), execution_options={"synchronize_session": False})
        db.execute(update(P).where(P.interaction_id.in_(ids)).values(name=None),
                   execution_options={"synchronize_session": False})
    tasks = list(db.scalars(select(Task.id).where(Task.contact_id == contact_id)))
    if tasks:
        db.execute(update(Task).where(Task.id.in_(tasks)).values(
            title=ERASED, description=None, updated_at=Task.updated_at),
            execution_options={"synchronize_session": False})
    return ids + tasks


def export_activities(db: Session, *, contact_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """The person's interactions and the tasks about them, JSON-ready, oldest first."""
    ids = _interaction_ids(db, contact_id)
    interactions = list(db.scalars(select(Interaction).where(Interaction.id.in_(ids))
                                   .order_by(Interaction.occurred_at, Interaction.id))
                        ) if ids else []
    tasks = list(db.scalars(select(Task).where(Task.contact_id == contact_id)
                            .order_by(Task.created_at, Task.id)))
    return {
        "interactions": [{
            "id": str(i.id), "channel": i.channel, "direction": i.direction,
            "subject": i.subject, "body": i.body, "occurred_at": i.occurred_at.isoformat(),
            "location": i.location, "network": i.network, "handle": i.handle, "url": i.url,
            "participants": [{"role": p.role, "contact_id": str(p.contact_id) if p.contact_id
                              else None, "address": p.address, "name": p.name}
                             for p in i.participants],
            "deleted_at": i.deleted_at.isoformat() if i.deleted_at else None}
            for i in interactions],
        "tasks": [{"id": str(t.id), "title": t.title, "description": t.description,
                   "status": t.status, "due_at": t.due_at.isoformat() if t.due_at else None,
                   "created_at": t.created_at.isoformat()} for t in tasks],
        "form_submissions": export_submissions(db, contact_id=contact_id),
    }
