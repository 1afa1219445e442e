"""Ticket screens: the queues (/tickets) with counts, filters, sort and keyset pages, the new
ticket form with its contact picker, and the Tickets panel of the contact page.

Lists read ``tickets.queries`` within the reader's ticket scope; names shown beside tickets
(contacts, companies, people, teams) are read once per page, so a queue page costs the same
number of statements whatever number of tickets it shows. The ticket page itself is in
``routes.ticket_page``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from amity.api.deps import AppSettings, DbSession
from amity.auth.access import (
    Permission,
    access_record,
    check_reference,
    require,
    scope_for,
    scoped,
)
from amity.auth.models import Team, User
from amity.companies.models import Company
from amity.contacts import queries as contact_queries
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.core.errors import DomainError, ValidationFailed
from amity.tickets import queries, service
from amity.tickets.models import CHANNELS, OPEN_STATUSES, PRIORITIES, STATUSES, Ticket
from amity.tickets.schemas import TicketCreate
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.routes.deal_page import duration
from amity.web.templating import is_htmx, render, templates

router = APIRouter(route_class=WebRoute)

FORM_ERROR = "_form"
TICKET_FIELDS = ("subject", "description", "priority", "channel", "category", "contact_id")
STATUS_LABELS = {"new": "New", "open": "Open", "pending_customer": "Pending customer",
                 "on_hold": "On hold", "resolved": "Resolved", "closed": "Closed"}
PRIORITY_LABELS = {"low": "Low", "normal": "Normal", "high": "High", "urgent": "Urgent"}
TICKET_CHANNEL_LABELS = {"email": "Email", "phone": "Phone", "chat": "Chat",
                         "web_form": "Web form", "social": "Social", "in_person": "In person"}
# (key, label): the domain's queues plus every open ticket, those waiting on the customer and
# all tickets
VIEWS = (("open", "All open"), ("mine", "My open"), ("team", "My teams"),
         ("unassigned", "Unassigned"), ("breaching_soon", "Near breach"),
         ("breached", "Breached"), ("pending", "Pending customer"), ("all", "All tickets"))
View = Literal["open", "mine", "team", "unassigned", "breaching_soon", "breached", "pending",
               "all"]
TicketSort = Literal["-created_at", "created_at", "-updated_at", "updated_at", "-number",
                     "number"]
SORT_LABELS = (("-created_at", "Newest"), ("created_at", "Oldest"),
               ("-updated_at", "Recently updated"), ("updated_at", "Least recently updated"),
               ("-number", "Number, high to low"), ("number", "Number, low to high"))
PICKER_LIMIT = 8
PANEL_LIMIT = 10


def can_view_tickets(user: User | None) -> bool:
    return user is not None and scope_for(user, Permission.TICKETS_VIEW) != "none"


def sla_badge(t: Ticket, at: datetime) -> tuple[str, str] | None:
    """(kind, label) for a ticket's running SLA target: ok / warning (due in ...), overdue
    (due time passed, not recorded yet), breached, paused; None without a running target."""
    if t.status in ("resolved", "closed"):
        return ("breached", "SLA missed") if t.sla_breached_at else None
    if t.sla_paused_at is not None:
        return "paused", "SLA paused"
    if t.sla_breached_at is not None:
        return "breached", "Breached"
    if t.sla_due_at is None:
        return None
    if t.sla_due_at <= at:
        return "overdue", f"Overdue {duration((at - t.sla_due_at).total_seconds())}"
    left = f"Due in {duration((t.sla_due_at - at).total_seconds())}"
    if t.sla_warn_at is not None and t.sla_warn_at <= at:
        return "warning", left
    return "ok", left


templates.env.globals.update(can_view_tickets=can_view_tickets, ticket_sla_badge=sla_badge,
                             ticket_status_labels=STATUS_LABELS,
                             ticket_priority_labels=PRIORITY_LABELS,
                             ticket_channel_labels=TICKET_CHANNEL_LABELS)


def names_of(db: Session, user: User, model: type[Any], permission: Permission | None,
             ids: Iterable[uuid.UUID | None]) -> dict[uuid.UUID, Any]:
    """The records among ``ids`` the reader may see (all, for ``permission`` None), by id, in
    one statement; nothing without the permission."""
    wanted = sorted({i for i in ids if i is not None})
    if not wanted:
        return {}
    stmt = select(model).where(model.id.in_(wanted))
    if permission is not None:
        if scope_for(user, permission) == "none":
            return {}
        stmt = scoped(db, stmt, user, model, permission)
    return {r.id: r for r in db.scalars(stmt)}


def ticket_context(db: Session, user: User, tickets: list[Ticket]) -> dict[str, Any]:
    """Names shown beside tickets: contacts and companies the reader may see, people, teams."""
    return {
        "contacts": names_of(db, user, Contact, Permission.CONTACTS_VIEW,
                             (t.contact_id for t in tickets)),
        "companies": names_of(db, user, Company, Permission.COMPANIES_VIEW,
                              (t.company_id for t in tickets)),
        "people": names_of(db, user, User, None, (t.assignee_id for t in tickets)),
        "teams": names_of(db, user, Team, None, (t.team_id for t in tickets)),
        "at": now(),
    }


def _extra_counts(db: Session, base: queries.AnySelect) -> dict[str, int]:
    """Open, pending and all (not deleted) tickets the reader may see, in one statement."""
    stmt = base.with_only_columns(
        func.coalesce(func.sum(case((Ticket.status.in_(OPEN_STATUSES), 1), else_=0)), 0),
        func.coalesce(func.sum(case((Ticket.status == "pending_customer", 1), else_=0)), 0),
        func.count(Ticket.id)).where(Ticket.deleted_at.is_(None))
    open_, pending, total = db.execute(stmt).one()
    return {"open": int(open_), "pending": int(pending), "all": int(total)}


def _choices(values: list[str] | None, allowed: tuple[str, ...], field: str) -> list[str]:
    """The values chosen ("" is "any"); 422 for one that is not offered."""
    chosen = [v for v in values or [] if v.strip()]
    for value in chosen:
        if value not in allowed:
            raise ValidationFailed(f"{field}.invalid", f"{field} must be one of "
                                   f"{', '.join(allowed)}", field)
    return chosen


def _team(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value) if value.strip() else None
    except ValueError as exc:
        raise ValidationFailed("team.invalid", "Choose a team from the list", "team") from exc


def _filters(view: View, status: Sequence[str], priority: Sequence[str], assignee: str,
             team: uuid.UUID | None, q: str, me: uuid.UUID) -> queries.TicketFilters:
    f = queries.TicketFilters(status=list(status), priority=list(priority), team_id=team,
                              q=q.strip() or None)
    if view in ("mine", "team", "unassigned", "breaching_soon", "breached"):
        f.queue = view
    elif view == "open" and not f.status:
        f.status = list(OPEN_STATUSES)
    elif view == "pending":
        f.status = ["pending_customer"]
    if assignee == "me":
        f.assignee_id = me
    elif assignee == "none":
        f.unassigned = True
    elif assignee:
        try:
            f.assignee_id = uuid.UUID(assignee)
        except ValueError as exc:
            raise ValidationFailed("assignee.invalid", "Choose an assignee from the list",
                                   "assignee") from exc
    return f


@router.get("/tickets")
def ticket_queue(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
                 view: View = "open",
                 status: Annotated[list[str] | None, Query(max_length=6)] = None,
                 priority: Annotated[list[str] | None, Query(max_length=4)] = None,
                 assignee: Annotated[str, Query(max_length=40)] = "",
                 team: Annotated[str, Query(max_length=40)] = "",
                 q: Annotated[str, Query(max_length=200)] = "",
                 sort: TicketSort = "-created_at",
                 cursor: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    require(user, Permission.TICKETS_VIEW)
    at = now()
    base = scoped(db, select(Ticket), user, Ticket, Permission.TICKETS_VIEW)
    status = _choices(status, STATUSES, "status")
    priority = _choices(priority, PRIORITIES, "priority")
    filters = _filters(view, status, priority, assignee, _team(team), q, user.id)
    page = queries.list_tickets(db, base, filters=filters, user_id=user.id, at=at, sort=sort,
                                cursor=cursor, limit=settings.page_size_default)
    params: dict[str, Any] = {"view": view, "status": status or [], "priority": priority or [],
                              "assignee": assignee, "team": team.strip(), "q": q,
                              "sort": sort}
    ctx: dict[str, Any] = {
        "tickets": page.items, "next_cursor": page.next_cursor, "params": params,
        "next_url": "/tickets?" + urlencode({**params, "cursor": page.next_cursor}, doseq=True)
        if page.next_cursor else None,
        "more": cursor is not None, **ticket_context(db, user, page.items),
    }
    if is_htmx(request):
        return render(request, "tickets/_results.html", ctx)
    counts = queries.queue_counts(db, base, user_id=user.id, at=at)
    counts.update(_extra_counts(db, base))
    people = list(db.scalars(select(User).where(User.is_active.is_(True)).order_by(User.name)))
    ctx.update(views=VIEWS, counts=counts, statuses=STATUSES, priorities=PRIORITIES,
               sorts=SORT_LABELS, users=people,
               all_teams=list(db.scalars(select(Team).order_by(Team.name))),
               can_create=scope_for(user, Permission.TICKETS_CREATE) != "none")
    return render(request, "tickets/list.html", ctx)


class TicketForm(BaseModel):
    """As posted; every value is checked by ``TicketCreate`` and the services."""

    subject: str = ""
    description: str = ""
    priority: str = "normal"
    channel: str = "phone"
    category: str = ""
    contact_id: str = ""
    contact_q: str = ""


def _payload(form: TicketForm) -> dict[str, Any]:
    data: dict[str, Any] = {"subject": form.subject.strip(), "priority": form.priority,
                            "channel": form.channel}
    for key in ("description", "category", "contact_id"):
        value = getattr(form, key).strip()
        if value:
            data[key] = value
    return data


def form_errors(exc: ValidationError | DomainError,
                known: tuple[str, ...] = TICKET_FIELDS) -> dict[str, str]:
    """Messages by field (``_form`` for the rest), for showing next to the fields."""
    def field(loc: str | None) -> str:
        head = (loc or "").split(".", 1)[0]
        return head if head in known else FORM_ERROR

    if isinstance(exc, DomainError):
        return {field(exc.field): exc.message}
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = ".".join(str(p) for p in err.get("loc", ()))
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if err.get("type") == "string_too_short":
            message = "Fill this in"
        errors.setdefault(field(loc), message)
    return errors


def _picked(db: Session, user: User, contact_id: str) -> Contact | None:
    try:
        wanted = uuid.UUID(contact_id) if contact_id.strip() else None
    except ValueError:
        return None
    if wanted is None or scope_for(user, Permission.CONTACTS_VIEW) == "none":
        return None
    stmt = scoped(db, select(Contact).where(Contact.id == wanted, Contact.deleted_at.is_(None)),
                  user, Contact, Permission.CONTACTS_VIEW)
    found: Contact | None = db.scalar(stmt)
    return found


def _new_form(request: Request, db: Session, user: User, form: TicketForm,
              errors: dict[str, str], status_code: int = 200) -> Response:
    ctx = {"form": form, "errors": errors, "priorities": PRIORITIES, "channels": CHANNELS,
           "picked": _picked(db, user, form.contact_id)}
    return render(request, "tickets/new.html", ctx, status_code=status_code)


@router.get("/tickets/new")
def new_ticket_form(request: Request, db: DbSession, user: WebUser,
                    contact_id: uuid.UUID | None = None) -> Response:
    require(user, Permission.TICKETS_CREATE)
    return _new_form(request, db, user, TicketForm(contact_id=str(contact_id or "")), {})


@router.get("/tickets/contact-options")
def contact_options(request: Request, db: DbSession, user: WebUser,
                    contact_q: Annotated[str, Query(max_length=200)] = "") -> Response:
    """The contact picker's choices: the reader's contacts matching what was typed."""
    require(user, Permission.TICKETS_CREATE)
    found: list[Contact] = []
    if contact_q.strip() and scope_for(user, Permission.CONTACTS_VIEW) != "none":
        base = scoped(db, select(Contact), user, Contact, Permission.CONTACTS_VIEW)
        found = contact_queries.search_contacts(db, base, q=contact_q,
                                                filters=contact_queries.ContactFilters(),
                                                limit=PICKER_LIMIT)
    return render(request, "tickets/_contact_options.html",
                  {"found": found, "searched": bool(contact_q.strip()), "picked": None})


@router.post("/tickets", dependencies=[CsrfChecked])
def create_ticket(request: Request, db: DbSession, user: WebUser,
                  form: Annotated[TicketForm, Form()]) -> Response:
    require(user, Permission.TICKETS_CREATE)
    try:
        data = TicketCreate.model_validate(_payload(form))
        if data.contact_id is not None:
            check_reference(db, user, Contact, data.contact_id, Permission.CONTACTS_VIEW,
                            field="contact_id", code="contact.not_found",
                            message="No such contact")
        ticket = service.create_ticket(db, data=data, actor=user)
    except (ValidationError, DomainError) as exc:
        db.rollback()
        status = exc.status if isinstance(exc, DomainError) else 422
        return _new_form(request, db, user, form, form_errors(exc), status_code=status)
    return RedirectResponse(f"/tickets/{ticket.reference}", status_code=303)


@router.get("/contacts/{contact_id}/tickets-panel")
def contact_tickets_panel(request: Request, contact_id: uuid.UUID, db: DbSession,
                          user: WebUser) -> Response:
    """The contact page's Tickets panel: open tickets, the latest others, average
    satisfaction and time to resolve, over the tickets the reader may see."""
    contact = access_record(db, user, Contact, contact_id, Permission.CONTACTS_VIEW,
                            entity="contact")
    require(user, Permission.TICKETS_VIEW)
    base = scoped(db, select(Ticket), user, Ticket, Permission.TICKETS_VIEW)
    at = now()
    open_page = queries.list_tickets(
        db, base, filters=queries.TicketFilters(contact_id=contact.id,
                                                status=list(OPEN_STATUSES)),
        user_id=user.id, at=at, sort="-created_at", cursor=None, limit=PANEL_LIMIT)
    done = queries.list_tickets(
        db, base.where(Ticket.status.not_in(OPEN_STATUSES)),
        filters=queries.TicketFilters(contact_id=contact.id), user_id=user.id, at=at,
        sort="-updated_at", cursor=None, limit=PANEL_LIMIT)
    summary = queries.service_summary(
        db, contact.id, lambda stmt: scoped(db, stmt, user, Ticket, Permission.TICKETS_VIEW))
    return render(request, "tickets/_contact_panel.html", {
        "contact": contact, "open_tickets": open_page.items, "history": done.items,
        "summary": summary, "at": at, "duration": duration,
        "people": names_of(db, user, User, None,
                           (t.assignee_id for t in [*open_page.items, *done.items])),
        "can_create": scope_for(user, Permission.TICKETS_CREATE) != "none"})


def visible_or_none(db: Session, user: User, model: type[Any],
                    permission: Permission) -> queries.Scope | None:
    """A scope function for ``customer_value`` (None: the reader may not see these at all)."""
    if scope_for(user, permission) == "none":
        return None
    return lambda stmt: scoped(db, stmt, user, model, permission)


def other_tickets(db: Session, user: User, t: Ticket) -> list[Ticket]:
    """The customer's latest other tickets the reader may see."""
    if t.contact_id is None and t.company_id is None:
        return []
    stmt = scoped(db, select(Ticket), user, Ticket, Permission.TICKETS_VIEW).where(
        Ticket.id != t.id, Ticket.deleted_at.is_(None),
        Ticket.contact_id == t.contact_id if t.contact_id is not None
        else or_(Ticket.company_id == t.company_id))
    return list(db.scalars(stmt.order_by(Ticket.created_at.desc(), Ticket.id.desc())
                           .limit(PANEL_LIMIT)))
