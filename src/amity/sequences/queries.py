"""Reading sequences and enrolments (enrolments only of contacts the reader may see)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.contacts.models import Contact
from amity.contacts.view360 import ScopeContacts
from amity.sequences.models import Sequence, SequenceEnrolment
from amity.sequences.service import steps_of


def list_sequences(db: Session) -> list[Sequence]:
    return list(db.scalars(select(Sequence).where(Sequence.deleted_at.is_(None))
                           .order_by(Sequence.name).limit(500)))


def sequence_out(db: Session, seq: Sequence) -> dict[str, Any]:
    return {"id": seq.id, "version": seq.version, "name": seq.name,
            "description": seq.description, "enabled": seq.enabled,
            "steps": steps_of(db, seq.id), "created_at": seq.created_at,
            "updated_at": seq.updated_at}


def enrolments(db: Session, *, sequence_id: uuid.UUID, visible: ScopeContacts,
               status: str | None = None, limit: int = 200) -> list[tuple[SequenceEnrolment,
                                                                           Contact]]:
    """The sequence's enrolments, newest first, with their (visible) contacts."""
    q = (select(SequenceEnrolment, Contact)
         .join(Contact, Contact.id == SequenceEnrolment.contact_id)
         .where(SequenceEnrolment.sequence_id == sequence_id))
    if status is not None:
        q = q.where(SequenceEnrolment.status == status)
    q = visible(q).order_by(SequenceEnrolment.enrolled_at.desc(),
                            SequenceEnrolment.id.desc()).limit(limit)
    return [(row[0], row[1]) for row in db.execute(q).all()]
