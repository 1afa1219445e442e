"""The ticket page (/tickets/T-1042 or /tickets/<id>): header with SLA timers, the
conversation (public replies and internal notes, attachments), the reply / note form with
uploads, status, priority and assignment changes (HTMX, with the version read: a conflict is
shown with the latest values, never saved over), resolving with notes, and the customer's
value, purchases and other tickets beside it."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import FileResponse, RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.api.deps import AppSettings, DbSession
from amity.api.v1.tickets import MULTIPART_OVERHEAD, attachment_store, survey_config
from amity.auth.access import Permission, access_record, scope_for
from amity.auth.models import Team, User
from amity.commerce.models import Order
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.core.errors import DomainError, NotFound, PreconditionFailed, ValidationFailed
from amity.deals.models import Deal
from amity.tickets import queries, service
from amity.tickets.attachments import add_attachment, stored_file
from amity.tickets.models import (
    OPEN_STATUSES,
    PRIORITIES,
    TRANSITIONS,
    Ticket,
    TicketAttachment,
    TicketComment,
)
from amity.tickets.schemas import CommentCreate, TicketUpdate
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute, _error_page
from amity.web.routes.deal_page import duration
from amity.web.routes.tickets import form_errors, names_of, other_tickets, visible_or_none
from amity.web.templating import is_htmx, render

_REF = re.compile(r"^T-?(\d{1,18})$", re.IGNORECASE)
CHANGED = ("Someone else changed this ticket while you were looking at it; your change was "
           "not saved. The latest values are shown: make your change again if it still "
           "applies.")
EDIT_FIELDS = ("status", "priority", "assignee_id", "team_id", "resolution_notes")


class UploadWebRoute(WebRoute):
    """Refuse an upload by its Content-Length before the form is read (413 page), as the
    API's upload route does."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            limit = request.app.state.settings.attachment_max_bytes + MULTIPART_OVERHEAD
            length = request.headers.get("content-length", "")
            if not length.isdigit():
                return _error_page(request, 411, "Cannot do that",
                                   "The upload was sent without its length.")
            if int(length) > limit:
                return _error_page(request, 413, "File too large", "A file is at most "
                                   f"{request.app.state.settings.attachment_max_bytes:,} "
                                   "bytes; nothing was saved.")
            return await handler(request)

        return limited


router = APIRouter(route_class=WebRoute)
uploads = APIRouter(route_class=UploadWebRoute)


def load_ticket(db: Session, user: User, ref: str, permission: Permission) -> Ticket:
    """A ticket by reference (T-1042) or id; 404 alike for unknown and not visible."""
    match = _REF.match(ref.strip())
    ticket_id: uuid.UUID | None
    if match:
        ticket_id = db.scalar(select(Ticket.id).where(Ticket.number == int(match.group(1)),
                                                      Ticket.deleted_at.is_(None)))
    else:
        try:
            ticket_id = uuid.UUID(ref)
        except ValueError:
            ticket_id = None
    if ticket_id is None:
        raise NotFound("ticket")
    return access_record(db, user, Ticket, ticket_id, permission, entity="ticket")


def target(t: Ticket, name: str, at: datetime) -> dict[str, Any]:
    """One SLA target as shown: its due time and state (met, met late, paused, breached,
    overdue, warning, running)."""
    due: datetime | None = getattr(t, f"{name}_due_at")
    met: datetime | None = t.first_responded_at if name == "first_response" else t.resolved_at
    breached = getattr(t, f"{name}_breached_at")
    warn: datetime | None = getattr(t, f"{name}_warn_at")
    if due is None:
        state, label = "none", "No target"
    elif met is not None:
        late = breached is not None or met > due
        state, label = ("breached", "Met late") if late else ("met", "Met")
    elif t.sla_paused_at is not None:
        state, label = "paused", "Paused (waiting on the customer)"
    elif breached is not None:
        state, label = "breached", "Breached"
    elif due <= at:
        state, label = "overdue", f"Overdue by {duration((at - due).total_seconds())}"
    else:
        state = "warning" if warn is not None and warn <= at else "ok"
        label = f"Due in {duration((due - at).total_seconds())}"
    return {"due_at": due, "met_at": met, "state": state, "label": label}


def _head_context(db: Session, user: User, t: Ticket) -> dict[str, Any]:
    at = now()
    people = names_of(db, user, User, None, [t.assignee_id])
    return {
        "t": t, "at": at,
        "targets": [("First response", target(t, "first_response", at)),
                    ("Resolution", target(t, "resolution", at))],
        "contact": names_of(db, user, Contact, Permission.CONTACTS_VIEW,
                            [t.contact_id]).get(t.contact_id) if t.contact_id else None,
        "company": names_of(db, user, Company, Permission.COMPANIES_VIEW,
                            [t.company_id]).get(t.company_id) if t.company_id else None,
        "assignee": people.get(t.assignee_id) if t.assignee_id else None,
        "team": db.get(Team, t.team_id) if t.team_id else None,
        "users": list(db.scalars(select(User).where(User.is_active.is_(True))
                                 .order_by(User.name))),
        "all_teams": list(db.scalars(select(Team).order_by(Team.name))),
        "next_statuses": (t.status, *TRANSITIONS[t.status]), "priorities": PRIORITIES,
        "can_edit": scope_for(user, Permission.TICKETS_EDIT) != "none",
        "resolvable": t.status in OPEN_STATUSES,
        "head_errors": {}, "head_message": None, "head_saved": False,
    }


def _page(request: Request, db: Session, user: User, t: Ticket, *, status_code: int = 200,
          **extra: Any) -> Response:
    ctx = _head_context(db, user, t)
    comments = list(db.scalars(select(TicketComment).where(TicketComment.ticket_id == t.id)
                               .order_by(TicketComment.created_at, TicketComment.id)))
    others = other_tickets(db, user, t)
    ctx.update(
        comments=comments,
        authors=names_of(db, user, User, None, (c.author_id for c in comments)),
        customers=names_of(db, user, Contact, Permission.CONTACTS_VIEW,
                           (c.contact_id for c in comments)),
        customer=queries.customer_value(
            db, t, today=ctx["at"].date(),
            visible_orders=visible_or_none(db, user, Order, Permission.ORDERS_VIEW),
            visible_deals=visible_or_none(db, user, Deal, Permission.DEALS_VIEW),
            visible_tickets=visible_or_none(db, user, Ticket, Permission.TICKETS_VIEW)),
        others=others, duration=duration,
        comment_error=None, comment_body="", comment_kind="reply")
    ctx.update(extra)
    return render(request, "tickets/detail.html", ctx, status_code=status_code)


def _head(request: Request, db: Session, user: User, t: Ticket, *, status_code: int = 200,
          **extra: Any) -> Response:
    ctx = _head_context(db, user, t)
    ctx.update(extra)
    return render(request, "tickets/_head.html", ctx, status_code=status_code)


@router.get("/tickets/{ref}")
def ticket_page(request: Request, ref: str, db: DbSession, user: WebUser) -> Response:
    t = load_ticket(db, user, ref, Permission.TICKETS_VIEW)
    return _page(request, db, user, t)


def _uuid_or_none(value: str, field: str) -> uuid.UUID | None:
    if not value.strip():
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError as exc:
        raise ValidationFailed(f"{field}.invalid", "Choose from the list", field) from exc


def _apply_change(request: Request, db: Session, user: User, t: Ticket, data: dict[str, Any],
                  settings: Any, done: str = "Saved.") -> Response:
    """Save a change of the header's fields; answer the header (HTMX) or the page."""
    try:
        service.update_ticket(db, ticket=t, data=TicketUpdate.model_validate(data), actor=user,
                              survey=survey_config(settings))
        db.flush()
    except PreconditionFailed:
        db.rollback()
        db.refresh(t)
        if is_htmx(request):
            return _head(request, db, user, t, status_code=412, head_message=CHANGED)
        return _page(request, db, user, t, status_code=412, head_message=CHANGED)
    except (ValidationError, DomainError) as exc:
        db.rollback()
        db.refresh(t)
        status = exc.status if isinstance(exc, DomainError) else 422
        errors = form_errors(exc, EDIT_FIELDS)
        if is_htmx(request):
            return _head(request, db, user, t, status_code=status, head_errors=errors)
        return _page(request, db, user, t, status_code=status, head_errors=errors)
    if is_htmx(request):
        return _head(request, db, user, t, head_message=done, head_saved=True)
    return RedirectResponse(f"/tickets/{t.reference}", status_code=303)


@router.post("/tickets/{ref}/edit", dependencies=[CsrfChecked])
def edit_ticket(request: Request, ref: str, db: DbSession, user: WebUser,
                settings: AppSettings,
                version: Annotated[int, Form(ge=1)],
                status: Annotated[str, Form(max_length=40)] = "",
                priority: Annotated[str, Form(max_length=20)] = "",
                assignee_id: Annotated[str, Form(max_length=40)] = "",
                team_id: Annotated[str, Form(max_length=40)] = "") -> Response:
    t = load_ticket(db, user, ref, Permission.TICKETS_EDIT)
    try:
        data: dict[str, Any] = {"version": version,
                                "assignee_id": _uuid_or_none(assignee_id, "assignee_id"),
                                "team_id": _uuid_or_none(team_id, "team_id")}
    except ValidationFailed as exc:
        errors = form_errors(exc, EDIT_FIELDS)
        if is_htmx(request):
            return _head(request, db, user, t, status_code=422, head_errors=errors)
        return _page(request, db, user, t, status_code=422, head_errors=errors)
    if status.strip():
        data["status"] = status.strip()
    if priority.strip():
        data["priority"] = priority.strip()
    # only what differs, so the audit trail and events name the real change
    data = {k: v for k, v in data.items() if k == "version" or getattr(t, k) != v}
    return _apply_change(request, db, user, t, data, settings)


@router.post("/tickets/{ref}/resolve", dependencies=[CsrfChecked])
def resolve_ticket(request: Request, ref: str, db: DbSession, user: WebUser,
                   settings: AppSettings, version: Annotated[int, Form(ge=1)],
                   resolution_notes: Annotated[str, Form(max_length=100_000)] = "") -> Response:
    t = load_ticket(db, user, ref, Permission.TICKETS_EDIT)
    if not resolution_notes.strip():
        errors = {"resolution_notes": "Say how the ticket was resolved"}
        if is_htmx(request):
            return _head(request, db, user, t, status_code=422, head_errors=errors)
        return _page(request, db, user, t, status_code=422, head_errors=errors)
    data = {"version": version, "status": "resolved",
            "resolution_notes": resolution_notes.strip()}
    return _apply_change(request, db, user, t, data, settings, done="Resolved.")


@uploads.post("/tickets/{ref}/comments", dependencies=[CsrfChecked])
def add_comment(request: Request, ref: str, db: DbSession, user: WebUser,
                settings: AppSettings,
                body: Annotated[str, Form(max_length=100_000)] = "",
                kind: Annotated[Literal["reply", "note"], Form()] = "reply",
                file: Annotated[UploadFile | None, File()] = None) -> Response:
    t = load_ticket(db, user, ref, Permission.TICKETS_EDIT)
    upload = file if file is not None and file.filename else None
    try:
        if not body.strip():
            raise ValidationFailed("comment.body_required", "Write a reply or a note first",
                                   "body")
        comment = service.add_comment(db, ticket=t, data=CommentCreate(
            body=body, public=kind == "reply"), actor=user)
        if upload is not None:
            add_attachment(db, ticket=t, comment=comment, filename=upload.filename,
                           content_type=upload.content_type, stream=upload.file,
                           store=attachment_store(settings), actor=user)
        db.flush()
    except (ValidationError, DomainError) as exc:
        db.rollback()
        db.refresh(t)
        status = exc.status if isinstance(exc, DomainError) else 422
        message = exc.message if isinstance(exc, DomainError) else "The comment is not valid"
        return _page(request, db, user, t, status_code=status, comment_error=message,
                     comment_body=body, comment_kind=kind)
    return RedirectResponse(f"/tickets/{t.reference}#comment-{comment.id}", status_code=303)


@router.get("/tickets/{ref}/attachments/{attachment_id}")
def download_attachment(ref: str, attachment_id: uuid.UUID, db: DbSession, user: WebUser,
                        settings: AppSettings) -> FileResponse:
    t = load_ticket(db, user, ref, Permission.TICKETS_VIEW)
    att = db.get(TicketAttachment, attachment_id)
    if att is None or att.ticket_id != t.id:
        raise NotFound("attachment")
    path = stored_file(attachment_store(settings), att)
    return FileResponse(path, media_type=att.content_type, filename=att.filename,
                        content_disposition_type="attachment",
                        headers={"X-Content-Type-Options": "nosniff",
                                 "Content-Security-Policy": "default-src 'none'; sandbox",
                                 "Cache-Control": "private, no-store"})
