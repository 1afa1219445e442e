"""My day (/agenda): overdue, today's tasks and meetings, the next seven days, a new-task form,
the next best actions for the user's own customers (from the stored predictions), and
completing or reopening a task in one click (the row is swapped in place).

Times are shown and read in the user's time zone (``users.time_zone``). Helpers here (loading a
task for the web, reading a due time, naming related records) serve the task pages too.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.activities import dayplan, service
from amity.activities.models import TASK_PRIORITIES, Task
from amity.activities.queries import zone
from amity.activities.visibility import check_task, may_write_something
from amity.api.deps import AppSettings, DbSession
from amity.auth.access import Permission, check_reference, scope_for, scoped
from amity.auth.models import User
from amity.contacts import queries as contact_queries
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from amity.deals.models import Deal
from amity.intelligence import queries as intelligence_queries
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.templating import is_htmx, render, templates

router = APIRouter(route_class=WebRoute)
PRIORITY_LABELS = {"low": "Low", "normal": "Normal", "high": "High", "urgent": "Urgent"}
LOOKUP_LIMIT = 8
AGENDA_ACTIONS = 8  # the user's customers with the most urgent next best actions
Text300 = Annotated[str, Form(max_length=300)]
Short = Annotated[str, Form(max_length=100)]


def _local(value: datetime | None, tz_name: str | None, fmt: str = "%a %d %b, %H:%M") -> str:
    """A time in the reader's zone (``tz`` given by the page)."""
    if value is None:
        return ""
    try:
        tz = zone(tz_name)
    except ValidationFailed:
        tz = zone("UTC")
    return value.astimezone(tz).strftime(fmt)


templates.env.filters["local"] = _local
templates.env.globals["priority_labels"] = PRIORITY_LABELS
templates.env.globals["now_utc"] = now


def parse_due(raw: str, tz_name: str | None) -> datetime | None:
    """A ``datetime-local`` value (or a bare date, read as 09:00) in the user's zone."""
    raw = raw.strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw if "T" in raw or " " in raw else f"{raw}T09:00")
    except ValueError as exc:
        raise ValidationFailed("task.due_invalid", "Give the due time as a date and time, "
                               "e.g. 2026-03-01 14:30", "due_at") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(tz_name))
    return value


def parse_related(db: Session, user: User, raw: str) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(contact id, deal id) from a "contact:<id>" or "deal:<id>" choice, checked visible."""
    raw = raw.strip()
    if not raw:
        return None, None
    kind, _, value = raw.partition(":")
    try:
        ref = uuid.UUID(value)
    except ValueError as exc:
        raise ValidationFailed("task.related_invalid", "Choose the related contact or deal "
                               "from the list", "related") from exc
    if kind == "contact":
        check_reference(db, user, Contact, ref, Permission.CONTACTS_VIEW, field="related",
                        code="contact.not_found", message="No such contact")
        return ref, None
    if kind == "deal":
        check_reference(db, user, Deal, ref, Permission.DEALS_VIEW, field="related",
                        code="deal.not_found", message="No such deal")
        return None, ref
    raise ValidationFailed("task.related_invalid", "Choose the related contact or deal from "
                           "the list", "related")


def load_task(db: Session, user: User, task_id: uuid.UUID, *, write: bool) -> Task:
    """A live task the user may see (404) and, ``write``, change (403)."""
    task = db.get(Task, task_id)
    if task is None or task.deleted_at is not None:
        raise NotFound("task", "There is no such task.")
    check_task(db, user, task, write=write)
    return task


def back_to(request: Request, fallback: str = "/agenda") -> str:
    """Where a plain (non-HTMX) form post returns: the local page it came from."""
    ref = request.headers.get("referer", "")
    parts = urlsplit(ref)
    if parts.netloc and parts.netloc != request.url.netloc:
        return fallback
    path = parts.path or fallback
    return path + (f"?{parts.query}" if parts.query else "") if path.startswith("/") and \
        not path.startswith("//") else fallback


def task_row(request: Request, db: Session, user: User, task: Task, *,
             changed: str | None = None) -> Response:
    names = dayplan.names_for(db, user, tasks=[task])
    return render(request, "agenda/_task_row.html",
                  {"t": task, "names": names, "tz": user.time_zone, "changed": changed,
                   "show_assignee": task.assignee_id != user.id})


def _agenda(request: Request, db: Session, user: User, *, team: bool,
            form: dict[str, str] | None = None, error: str | None = None,
            error_field: str | None = None, status_code: int = 200) -> Response:
    team_ok = dayplan.may_see_team(db, user)
    plan = dayplan.day_plan(db, user, team=team and team_ok)
    rows = plan.overdue + plan.today + plan.upcoming + plan.done_today
    names = dayplan.names_for(db, user, tasks=rows, interactions=plan.meetings)
    actions = (intelligence_queries.agenda_actions(db, user.id, limit=AGENDA_ACTIONS)
               if scope_for(user, Permission.CONTACTS_VIEW) != "none" else [])
    return render(request, "agenda/index.html", {
        "plan": plan, "names": names, "tz": user.time_zone, "team_ok": team_ok,
        "next_actions": actions,
        "can_write": may_write_something(user), "form": form or {}, "error": error,
        "error_field": error_field, "priorities": TASK_PRIORITIES,
        "show_assignee": plan.team, "changed": None}, status_code=status_code)


@router.get("/agenda")
def agenda(request: Request, db: DbSession, user: WebUser,
           who: Annotated[str, Query(max_length=10)] = "me") -> Response:
    return _agenda(request, db, user, team=who == "team")


@router.post("/agenda/tasks", dependencies=[CsrfChecked])
def add_task(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
             title: Text300 = "", due: Short = "", priority: Short = "normal",
             related: Short = "", who: Short = "me") -> Response:
    """The agenda's new-task form: the new row is prepended to today's (or its) list."""
    if not may_write_something(user):
        raise Forbidden("Read-only users cannot create tasks")
    form = {"title": title, "due": due, "priority": priority, "related": related}
    try:
        if not title.strip():
            raise ValidationFailed("task.title_required", "Give the task a title.", "title")
        due_at = parse_due(due, user.time_zone)
        contact_id, deal_id = parse_related(db, user, related)
        task = service.create_task(
            db, title=title, actor=user, due_at=due_at, priority=priority,
            contact_id=contact_id, deal_id=deal_id,
            reminder_lead=timedelta(minutes=settings.task_reminder_lead_minutes))
    except DomainError as exc:
        db.rollback()
        if is_htmx(request):
            return render(request, "agenda/_new_task.html",
                          {"form": form, "error": exc.message, "error_field": exc.field,
                           "priorities": TASK_PRIORITIES, "who": who}, status_code=422,
                          headers={"HX-Retarget": "#new-task", "HX-Reswap": "outerHTML"})
        return _agenda(request, db, user, team=who == "team", form=form, error=exc.message,
                       error_field=exc.field, status_code=422)
    if not is_htmx(request):
        return RedirectResponse("/agenda", status_code=303)
    names = dayplan.names_for(db, user, tasks=[task])
    return render(request, "agenda/_task_added.html",
                  {"t": task, "names": names, "tz": user.time_zone, "changed": "new",
                   "show_assignee": False, "priorities": TASK_PRIORITIES, "who": who})


@router.post("/tasks/{task_id}/complete", dependencies=[CsrfChecked])
def complete(request: Request, task_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    task = service.complete_task(db, task=load_task(db, user, task_id, write=True), actor=user)
    if not is_htmx(request):
        return RedirectResponse(back_to(request), status_code=303)
    return task_row(request, db, user, task, changed="done")


@router.post("/tasks/{task_id}/reopen", dependencies=[CsrfChecked])
def reopen(request: Request, task_id: uuid.UUID, db: DbSession, user: WebUser) -> Response:
    task = service.reopen_task(db, task=load_task(db, user, task_id, write=True), actor=user)
    if not is_htmx(request):
        return RedirectResponse(back_to(request), status_code=303)
    return task_row(request, db, user, task, changed="reopened")


@router.get("/agenda/related")
def related_lookup(request: Request, db: DbSession, user: WebUser,
                   q: Annotated[str, Query(max_length=200)] = "") -> Response:
    """Contacts and deals matching ``q`` that the user may see, as choices for the form."""
    contacts: list[Any] = []
    deals: list[Any] = []
    text = q.strip()
    if len(text) >= 2:
        if scope_for(user, Permission.CONTACTS_VIEW) != "none":
            base = scoped(db, select(Contact), user, Contact, Permission.CONTACTS_VIEW)
            contacts = contact_queries.search_contacts(
                db, base, q=text, filters=contact_queries.ContactFilters(), limit=LOOKUP_LIMIT)
        if scope_for(user, Permission.DEALS_VIEW) != "none":
            like = "%" + text.replace("\\", "").replace("%", "").replace("_", "") + "%"
            deals = list(db.scalars(scoped(
                db, select(Deal).where(Deal.name.ilike(like), Deal.deleted_at.is_(None)),
                user, Deal, Permission.DEALS_VIEW).order_by(Deal.name).limit(LOOKUP_LIMIT)))
    return render(request, "agenda/_related.html",
                  {"contacts": contacts, "deals": deals, "q": text})
