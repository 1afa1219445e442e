"""The public satisfaction survey behind the link sent when a ticket is resolved: a small page
(rate 1-5, optional comment) and the same as JSON under ``/survey/{token}/answer``. The
signed token is the only credential; it works once (``tickets.survey``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, Response

from amity.api.deps import AppSettings, DbSession
from amity.core.clock import now
from amity.core.errors import DomainError, NotFound
from amity.tickets.models import Ticket
from amity.tickets.schemas import SurveyAnswer, SurveyState
from amity.tickets.survey import answer_survey, open_survey
from amity.web.auth import CsrfChecked
from amity.web.errors import WebRoute
from amity.web.templating import render

router = APIRouter(route_class=WebRoute)
api = APIRouter()  # JSON: errors are problem+json like the REST API's
Token = Annotated[str, Path(max_length=200)]
PAGE = "survey/survey.html"


def _state(db: DbSession, settings: AppSettings, token: str) -> tuple[Ticket, SurveyState]:
    survey = open_survey(db, secret=settings.secret_key, token=token, at=now())
    ticket = db.get(Ticket, survey.ticket_id)
    if ticket is None:  # the ticket was purged: answer as for a link that no longer works
        raise NotFound("survey", "This survey link is not valid")
    return ticket, SurveyState(reference=ticket.reference, subject=ticket.subject,
                               expires_at=survey.expires_at)


def _closed(request: Request, exc: DomainError) -> Response:
    status = exc.status if exc.status in (404, 409, 410) else 404
    return render(request, PAGE, {"state": "closed", "message": exc.message},
                  status_code=status)


@router.get("/survey/{token}")
def survey_page(request: Request, token: Token, db: DbSession,
                settings: AppSettings) -> Response:
    try:
        ticket, _ = _state(db, settings, token)
    except DomainError as exc:
        return _closed(request, exc)
    return render(request, PAGE, {"state": "form", "token": token, "error": None,
                                  "reference": ticket.reference, "subject": ticket.subject})


@router.post("/survey/{token}", dependencies=[CsrfChecked])
def survey_submit(request: Request, token: Token, db: DbSession, settings: AppSettings,
                  score: Annotated[str, Form(max_length=3)] = "",
                  comment: Annotated[str, Form(max_length=4000)] = "") -> Response:
    try:
        ticket, _ = _state(db, settings, token)
    except DomainError as exc:
        return _closed(request, exc)
    try:
        answer_survey(db, secret=settings.secret_key, token=token,
                      score=int(score) if score.strip().isdigit() else 0, comment=comment,
                      at=now())
    except DomainError as exc:
        if exc.status != 422:
            db.rollback()
            return _closed(request, exc)
        db.rollback()
        return render(request, PAGE, {"state": "form", "token": token, "error": exc.message,
                                      "reference": ticket.reference, "subject": ticket.subject},
                      status_code=422)
    return render(request, PAGE, {"state": "thanks", "reference": ticket.reference})


@api.get("/survey/{token}/answer", response_model=SurveyState)
def survey_json(token: Token, db: DbSession, settings: AppSettings) -> SurveyState:
    return _state(db, settings, token)[1]


@api.post("/survey/{token}/answer", response_model=SurveyState)
def survey_answer_json(token: Token, body: SurveyAnswer, db: DbSession,
                       settings: AppSettings) -> SurveyState:
    _, state = _state(db, settings, token)
    survey = answer_survey(db, secret=settings.secret_key, token=token, score=body.score,
                           comment=body.comment, at=now())
    return state.model_copy(update={"score": survey.score, "answered_at": survey.answered_at})
