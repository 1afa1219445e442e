"""Satisfaction surveys: a signed one-time link sent when a ticket is resolved.

The token is ``base64(survey id) "." base64(HMAC-SHA256(secret key, survey id))``: nothing
secret is stored, a changed character fails the HMAC, and the survey row says whether the link
was used (409), replaced by a newer resolution or expired (410). Answering needs no sign-in;
it stores the score on the ticket and adds it to the contact's running average.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.core import audit
from amity.core.db import is_postgres
from amity.core.errors import Conflict, NotFound, ValidationFailed
from amity.core.events import publish
from amity.tickets.errors import Gone
from amity.tickets.events import SatisfactionReceived
from amity.tickets.models import ContactSatisfaction, Ticket, TicketSurvey

_CONTEXT = b"amity-ticket-survey:"
MAX_COMMENT = 2000


@dataclass(frozen=True)
class SurveyConfig:
    secret: str
    base_url: str
    valid_days: int = 14


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, survey_id: uuid.UUID) -> bytes:
    return hmac.new(secret.encode(), _CONTEXT + survey_id.bytes, hashlib.sha256).digest()


def token_for(secret: str, survey_id: uuid.UUID) -> str:
    return f"{_b64(survey_id.bytes)}.{_b64(_mac(secret, survey_id))}"


def survey_id_of(secret: str, token: str) -> uuid.UUID:
    """The survey a token names; NotFound if it is malformed or its signature is wrong."""
    head, _, sig = token.partition(".")
    try:
        survey_id = uuid.UUID(bytes=_unb64(head))
        given = _unb64(sig)
    except (ValueError, binascii.Error) as exc:
        raise NotFound("survey", "This survey link is not valid") from exc
    if not hmac.compare_digest(given, _mac(secret, survey_id)):
        raise NotFound("survey", "This survey link is not valid")
    return survey_id


def issue_survey(db: Session, *, ticket: Ticket, config: SurveyConfig,
                 at: datetime) -> tuple[TicketSurvey, str]:
    """A new survey for a just-resolved ticket (older unanswered links of it stop working)."""
    db.execute(update(TicketSurvey).where(TicketSurvey.ticket_id == ticket.id,
                                          TicketSurvey.answered_at.is_(None),
                                          TicketSurvey.superseded_at.is_(None))
               .values(superseded_at=at), execution_options={"synchronize_session": False})
    survey = TicketSurvey(id=uuid.uuid4(), ticket_id=ticket.id, contact_id=ticket.contact_id,
                          created_at=at, expires_at=at + timedelta(days=config.valid_days))
    db.add(survey)
    url = f"{config.base_url.rstrip('/')}/survey/{token_for(config.secret, survey.id)}"
    return survey, url


def open_survey(db: Session, *, secret: str, token: str, at: datetime) -> TicketSurvey:
    """The survey behind a link that may still be answered (else 404, 409 or 410)."""
    survey = db.get(TicketSurvey, survey_id_of(secret, token))
    if survey is None:
        raise NotFound("survey", "This survey link is not valid")
    if survey.answered_at is not None:
        raise Conflict("survey.answered", "This survey was already answered; thank you")
    if survey.superseded_at is not None or survey.expires_at <= at:
        raise Gone("survey.expired", "This survey link has expired")
    return survey


def average(responses: int, total: int) -> Decimal | None:
    if responses <= 0:
        return None
    return (Decimal(total) / Decimal(responses)).quantize(Decimal("0.01"), ROUND_HALF_EVEN)


def _add_to_contact(db: Session, contact_id: uuid.UUID, score: int, at: datetime) -> None:
    model = ContactSatisfaction
    ins = (postgresql.insert(model) if is_postgres(db) else sqlite.insert(model)).values(
        contact_id=contact_id, responses=1, score_total=score, updated_at=at)
    db.execute(ins.on_conflict_do_update(
        index_elements=["contact_id"],
        set_={"responses": model.responses + 1, "score_total": model.score_total + score,
              "updated_at": at}))


def answer_survey(db: Session, *, secret: str, token: str, score: int, comment: str | None,
                  at: datetime) -> TicketSurvey:
    """Store a 1-5 score (and comment) once; a second answer is a 409."""
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationFailed("survey.score", "Give a score from 1 to 5", "score")
    comment = (comment or "").strip() or None
    if comment is not None and len(comment) > MAX_COMMENT:
        raise ValidationFailed("survey.comment", f"A comment is at most {MAX_COMMENT} "
                               "characters", "comment")
    survey = open_survey(db, secret=secret, token=token, at=at)
    claimed = db.execute(update(TicketSurvey).where(TicketSurvey.id == survey.id,
                                                    TicketSurvey.answered_at.is_(None))
                         .values(answered_at=at, score=score, comment=comment),
                         execution_options={"synchronize_session": False})
    if getattr(claimed, "rowcount", 0) != 1:  # answered by a concurrent request
        raise Conflict("survey.answered", "This survey was already answered; thank you")
    db.refresh(survey)
    ticket = db.get(Ticket, survey.ticket_id)
    if ticket is not None:
        before = ticket.satisfaction_score
        ticket.satisfaction_score, ticket.satisfaction_comment = score, comment
        ticket.satisfaction_at = at
        audit.record(db, actor_id=None, action="satisfaction", entity_type="ticket",
                     entity_id=ticket.id, changes={"satisfaction_score": [before, score]})
    if survey.contact_id is not None:
        _add_to_contact(db, survey.contact_id, score, at)
    publish(db, SatisfactionReceived(ticket_id=survey.ticket_id, score=score,
                                     contact_id=survey.contact_id))
    db.flush()
    return survey
