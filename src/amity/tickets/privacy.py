"""What a person's erasure and export need from customer service: the tickets about them,
their comments and attachments, their survey answers (personal data: what they asked, what
was written about them, the files they sent)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from amity.tickets.models import Ticket, TicketAttachment, TicketComment, TicketSurvey

ERASED = "[erased]"


def _ticket_ids(db: Session, contact_id: uuid.UUID) -> list[uuid.UUID]:
    return list(db.scalars(select(Ticket.id).where(Ticket.contact_id == contact_id)))


def erase_tickets(db: Session, *, contact_id: uuid.UUID) -> list[uuid.UUID]:
    """Blank the person's tickets (subject, description, resolution, every comment on them
    and every comment they wrote elsewhere), delete their attachments (the stored files go
    with the next ``tickets.sweep_files`` run) and their survey comments. Tickets, times,
    statuses and scores stay. Returns the ticket ids, for the audit entries to be scrubbed."""
    ids = _ticket_ids(db, contact_id)
    quiet = {"synchronize_session": False}
    if ids:
        db.execute(update(Ticket).where(Ticket.id.in_(ids)).values(
            subject=ERASED, description=None, resolution_notes=None, satisfaction_comment=None,
            updated_at=Ticket.updated_at), execution_options=quiet)
    written = or_(TicketComment.contact_id == contact_id, TicketComment.ticket_id.in_(ids))
    comment_ids = list(db.scalars(select(TicketComment.id).where(written)))
    if comment_ids:
        db.execute(update(TicketComment).where(TicketComment.id.in_(comment_ids)).values(
            body=ERASED, message_id=None, in_reply_to=None), execution_options=quiet)
        db.execute(delete(TicketAttachment).where(
            TicketAttachment.comment_id.in_(comment_ids)), execution_options=quiet)
    db.execute(update(TicketSurvey).where(TicketSurvey.contact_id == contact_id)
               .values(comment=None), execution_options=quiet)
    return ids


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_tickets(db: Session, *, contact_id: uuid.UUID) -> dict[str, list[dict[str, Any]]]:
    """The person's tickets with every comment and attachment, and their survey answers,
    JSON-ready, oldest first."""
    tickets = list(db.scalars(select(Ticket).where(Ticket.contact_id == contact_id)
                              .order_by(Ticket.created_at, Ticket.id)))
    ids = [t.id for t in tickets]
    comments = list(db.scalars(select(TicketComment).where(
        or_(TicketComment.ticket_id.in_(ids), TicketComment.contact_id == contact_id))
        .order_by(TicketComment.created_at, TicketComment.id)))
    surveys = list(db.scalars(select(TicketSurvey).where(
        TicketSurvey.contact_id == contact_id, TicketSurvey.answered_at.is_not(None))
        .order_by(TicketSurvey.answered_at)))
    return {
        "tickets": [{
            "id": str(t.id), "reference": t.reference, "subject": t.subject,
            "description": t.description, "status": t.status, "priority": t.priority,
            "channel": t.channel, "category": t.category,
            "resolution_notes": t.resolution_notes, "created_at": t.created_at.isoformat(),
            "resolved_at": _iso(t.resolved_at), "deleted_at": _iso(t.deleted_at),
            "comments": [{
                "id": str(c.id), "author_kind": c.author_kind, "public": c.public,
                "body": c.body, "created_at": c.created_at.isoformat(),
                "attachments": [{"filename": a.filename, "content_type": a.content_type,
                                 "size": a.size, "sha256": a.sha256}
                                for a in c.attachments]}
                for c in comments if c.ticket_id == t.id]}
            for t in tickets],
        "ticket_comments_elsewhere": [
            {"id": str(c.id), "ticket_id": str(c.ticket_id), "body": c.body,
             "created_at": c.created_at.isoformat()}
            for c in comments if c.ticket_id not in set(ids)],
        "satisfaction_surveys": [
            {"ticket_id": str(s.ticket_id), "score": s.score, "comment": s.comment,
             "answered_at": _iso(s.answered_at)} for s in surveys],
    }
