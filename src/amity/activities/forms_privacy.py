"""What a person's erasure and export need from web-to-lead forms: the submissions linked to
them hold what they typed, their address and browser."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from amity.activities.forms_models import FormSubmission


def erase_submissions(db: Session, *, contact_id: uuid.UUID) -> None:
    """Blank the answers, conflicts, address, browser and visitor of the person's submissions;
    the rows (which form, when, which consents were ticked) stay for the counts."""
    db.execute(update(FormSubmission).where(FormSubmission.contact_id == contact_id)
               .values(values={}, conflicts={}, ip=None, user_agent=None, visitor_key=None),
               execution_options={"synchronize_session": False})


def export_submissions(db: Session, *, contact_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = db.scalars(select(FormSubmission).where(FormSubmission.contact_id == contact_id)
                      .order_by(FormSubmission.created_at, FormSubmission.id))
    return [{"id": str(s.id), "form_id": str(s.form_id), "values": s.values,
             "conflicts": s.conflicts, "consents": s.consents, "ip": s.ip,
             "user_agent": s.user_agent, "created_at": s.created_at.isoformat()} for s in rows]
