"""Task pages: /tasks (status, assignee and due filters, keyset "Load more") and a task's edit
page, which saves only over the version it was read at (a conflict is shown, nothing lost)."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from amity.activities import dayplan, queries, service
from amity.activities.models import TASK_PRIORITIES, TASK_STATUSES, Task
from amity.activities.schemas import TaskUpdate
from amity.activities.visibility import check_task
from amity.api.deps import AppSettings, DbSession
from amity.auth.models import User
from amity.core.clock import now
from amity.core.errors import DomainError, Forbidden, PreconditionFailed, ValidationFailed
from amity.web.auth import CsrfChecked, WebUser
from amity.web.errors import WebRoute
from amity.web.routes.agenda import load_task, parse_due
from amity.web.templating import is_htmx, render

router = APIRouter(route_class=WebRoute)
StatusFilter = Literal["open", "done", "cancelled", "all"]
AssigneeFilter = Literal["me", "anyone"]
DueFilter = Literal["any", "overdue", "today", "week", "later"]
DUE_LABELS = {"any": "Any time", "overdue": "Overdue", "today": "Due today",
              "week": "Next 7 days", "later": "Later"}
STATUS_LABELS = {"open": "Open", "done": "Done", "cancelled": "Cancelled", "all": "All"}
USER_CHOICES = 500


def _due_range(due: str, tz_name: str | None) -> tuple[datetime | None, datetime | None, bool]:
    """(due_after, due_before, overdue only) for a due filter, days in the user's zone."""
    tz = queries.zone(tz_name)
    start = datetime.combine(now().astimezone(tz).date(), time.min, tzinfo=tz)
    end = start + timedelta(days=1)
    return {"overdue": (None, None, True), "today": (start, end, False),
            "week": (end, end + timedelta(days=7), False),
            "later": (end + timedelta(days=7), None, False)}.get(due, (None, None, False))


@router.get("/tasks")
def task_list(request: Request, db: DbSession, user: WebUser, settings: AppSettings,
              status: StatusFilter = "open", assignee: AssigneeFilter = "me",
              due: DueFilter = "any",
              cursor: Annotated[str | None, Query(max_length=2000)] = None) -> Response:
    after, before, overdue = _due_range(due, user.time_zone)
    filters = queries.TaskFilters(
        assignee_id=user.id if assignee == "me" else None,
        statuses=[] if status == "all" else [status], due_after=after, due_before=before,
        overdue=True if overdue else None)
    page = queries.list_tasks(db, user, filters=filters, sort="due_at", cursor=cursor,
                              limit=settings.page_size_default)
    names = dayplan.names_for(db, user, tasks=page.items)
    params = {"status": status, "assignee": assignee, "due": due}
    more = (f"/tasks?{urlencode({**params, 'cursor': page.next_cursor})}"
            if page.next_cursor else None)
    ctx = {"tasks": page.items, "names": names, "tz": user.time_zone, "more_url": more,
           "params": params, "more": cursor is not None, "show_assignee": assignee != "me",
           "changed": None, "due_labels": DUE_LABELS, "status_labels": STATUS_LABELS}
    return render(request, "agenda/_task_rows.html" if is_htmx(request) and cursor
                  else "agenda/tasks.html", ctx)


def _assignees(db: Session, task: Task) -> list[User]:
    users = list(db.scalars(select(User).where(User.is_active.is_(True))
                            .order_by(User.name, User.id).limit(USER_CHOICES)))
    if task.assignee_id and all(u.id != task.assignee_id for u in users):
        extra = db.get(User, task.assignee_id)
        users += [extra] if extra is not None else []
    return users


def _edit_page(request: Request, db: Session, user: User, task: Task, *,
               form: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
               conflict: bool = False, saved: bool = False, status_code: int = 200) -> Response:
    tz = user.time_zone
    current = {"title": task.title, "description": task.description or "",
               "due": task.due_at.astimezone(queries.zone(tz)).strftime("%Y-%m-%dT%H:%M")
               if task.due_at else "", "priority": task.priority, "status": task.status,
               "assignee": str(task.assignee_id or ""), "version": task.version}
    try:
        check_task(db, user, task, write=True)
        can_edit = True
    except Forbidden:
        can_edit = False
    return render(request, "agenda/task_edit.html", {
        "t": task, "can_edit": can_edit, "form": form or current, "current": current,
        "errors": errors or {}, "conflict": conflict, "saved": saved, "tz": tz,
        "names": dayplan.names_for(db, user, tasks=[task]), "users": _assignees(db, task),
        "priorities": TASK_PRIORITIES, "statuses": TASK_STATUSES,
    }, status_code=status_code)


@router.get("/tasks/{task_id}")
def task_page(request: Request, task_id: uuid.UUID, db: DbSession, user: WebUser,
              saved: bool = False) -> Response:
    return _edit_page(request, db, user, load_task(db, user, task_id, write=False),
                      saved=saved)


Field300 = Annotated[str, Form(max_length=300)]
Field40 = Annotated[str, Form(max_length=40)]


@router.post("/tasks/{task_id}", dependencies=[CsrfChecked])
def save_task(request: Request, task_id: uuid.UUID, db: DbSession, user: WebUser,
              settings: AppSettings, title: Field300 = "",
              description: Annotated[str, Form(max_length=20_000)] = "",
              due: Field40 = "", priority: Field40 = "normal", status: Field40 = "open",
              assignee: Field40 = "", version: Field40 = "") -> Response:
    task = load_task(db, user, task_id, write=True)
    form = {"title": title, "description": description, "due": due, "priority": priority,
            "status": status, "assignee": assignee, "version": version}
    try:
        if not version.isdigit():
            raise ValidationFailed("version.required", "Reload the task and try again",
                                   "version")
        data = TaskUpdate.model_validate({
            "title": title.strip(), "description": description.strip() or None,
            "due_at": parse_due(due, user.time_zone), "priority": priority, "status": status,
            "assignee_id": assignee or None, "version": int(version)})
        service.update_task(db, task=task, data=data, actor=user,
                            reminder_lead=timedelta(minutes=settings.task_reminder_lead_minutes))
    except PreconditionFailed:
        db.rollback()
        task = load_task(db, user, task_id, write=False)
        # keep what they typed; the next save knowingly replaces the newer version
        return _edit_page(request, db, user, task, form={**form, "version": task.version},
                          conflict=True, status_code=409)
    except (ValidationError, DomainError) as exc:
        db.rollback()
        task = load_task(db, user, task_id, write=False)
        return _edit_page(request, db, user, task, form=form, errors=_errors(exc),
                          status_code=422)
    return RedirectResponse(f"/tasks/{task.id}?saved=1", status_code=303)


def _errors(exc: ValidationError | DomainError) -> dict[str, str]:
    if isinstance(exc, DomainError):
        field = {"due_at": "due", "assignee_id": "assignee"}.get(exc.field or "", exc.field)
        return {field or "_": exc.message}
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = str(err["loc"][0]) if err["loc"] else "_"
        field = {"due_at": "due", "assignee_id": "assignee"}.get(loc, loc)
        out.setdefault(field, "Title: 1 to 300 characters." if field == "title"
                       else f"Not accepted: {err['msg']}")
    return out
