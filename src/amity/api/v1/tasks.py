"""/tasks: to-dos with due dates and reminders; /agenda: the signed-in user's day."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import JSONResponse
from pydantic import Field

from amity.activities import queries, service
from amity.activities.models import Task
from amity.activities.schemas import (
    Agenda,
    InteractionRead,
    TaskCreate,
    TaskRead,
    TaskStatus,
    TaskUpdate,
)
from amity.activities.visibility import check_task, may_write_something
from amity.api.deps import (
    AppSettings,
    CurrentUser,
    Cursor,
    DbSession,
    IdempotencyKey,
    IfMatch,
    Limit,
    etag,
    parse_if_match,
)
from amity.api.idempotency import idempotent
from amity.auth.access import Permission, check_reference, scope_for
from amity.auth.models import User
from amity.companies.models import Company
from amity.config import Settings
from amity.contacts.models import Contact
from amity.core.errors import Forbidden, NotFound, ValidationFailed
from amity.core.schemas import PageOut, TimeZoneName
from amity.deals.models import Deal
from amity.intelligence import queries as intelligence_queries
from amity.intelligence.schemas import AgendaActionRead

router = APIRouter(tags=["tasks"])
DeletedFilter = Literal["exclude", "only", "include"]
AGENDA_ACTIONS = 8
SortKey = Literal["due_at", "-due_at", "created_at", "-created_at"]


def _lead(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.task_reminder_lead_minutes)


def _load(db: DbSession, user: User, task_id: uuid.UUID, *, write: bool,
          include_deleted: bool = False) -> Task:
    task = db.get(Task, task_id)
    if task is None:
        raise NotFound("task")
    check_task(db, user, task, write=write)
    if task.deleted_at is not None and not include_deleted:
        raise NotFound("task")
    return task


def _check_refs(db: DbSession, user: User, body: TaskCreate | TaskUpdate) -> None:
    """Related records must be visible to the user (else 422, as if unknown)."""
    sent = body.model_fields_set
    for field, model, perm in (("contact_id", Contact, Permission.CONTACTS_VIEW),
                               ("company_id", Company, Permission.COMPANIES_VIEW),
                               ("deal_id", Deal, Permission.DEALS_VIEW)):
        if field in sent:
            check_reference(db, user, model, getattr(body, field), perm, field=field,
                            code=f"{field[:-3]}.not_found", message=f"No such {field[:-3]}")


@router.post("/tasks", status_code=201, response_model=TaskRead, summary="Create a task")
def create_task(body: TaskCreate, db: DbSession, user: CurrentUser, settings: AppSettings,
                idempotency_key: IdempotencyKey = None) -> JSONResponse:
    if not may_write_something(user):
        raise Forbidden("Read-only users cannot create tasks")
    _check_refs(db, user, body)
    sent = body.model_fields_set
    return idempotent(db, user, idempotency_key, "/tasks", body, lambda: service.create_task(
        db, title=body.title, actor=user, due_at=body.due_at, assignee_id=body.assignee_id,
        priority=body.priority or "normal", description=body.description,
        contact_id=body.contact_id, company_id=body.company_id, deal_id=body.deal_id,
        reminder_at=body.reminder_at if "reminder_at" in sent else service.DEFAULT,
        reminder_lead=_lead(settings)), TaskRead)


@router.get("/tasks", response_model=PageOut[TaskRead],
            summary="Tasks you may see; by due date (undated last) unless sorted otherwise")
def list_tasks(
    db: DbSession, user: CurrentUser, settings: AppSettings,
    assignee: Annotated[str | None, Query(max_length=40, description="A user id or 'me'")]
    = None,
    owner_id: uuid.UUID | None = None,
    status: Annotated[list[TaskStatus] | None, Query()] = None,
    due_before: datetime | None = None, due_after: datetime | None = None,
    overdue: bool | None = None,
    contact_id: uuid.UUID | None = None, company_id: uuid.UUID | None = None,
    deal_id: uuid.UUID | None = None, deleted: DeletedFilter = "exclude",
    sort: SortKey = "due_at", cursor: Cursor = None, limit: Limit = None,
) -> dict[str, Any]:
    assignee_id = None
    if assignee is not None:
        try:
            assignee_id = user.id if assignee == "me" else uuid.UUID(assignee)
        except ValueError as exc:
            raise ValidationFailed("assignee.invalid", "assignee is a user id or 'me'",
                                   "assignee") from exc
    filters = queries.TaskFilters(
        assignee_id=assignee_id, owner_id=owner_id, statuses=list(status or []),
        due_before=due_before, due_after=due_after, overdue=overdue, contact_id=contact_id,
        company_id=company_id, deal_id=deal_id, deleted=deleted)
    page = queries.list_tasks(db, user, filters=filters, sort=sort, cursor=cursor,
                              limit=limit or settings.page_size_default)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/tasks/{task_id}", response_model=TaskRead)
def get_task(task_id: uuid.UUID, response: Response, db: DbSession, user: CurrentUser,
             include_deleted: bool = False) -> Task:
    task = _load(db, user, task_id, write=False, include_deleted=include_deleted)
    response.headers["ETag"] = etag(task.version)
    return task


@router.patch("/tasks/{task_id}", response_model=TaskRead)
def update_task(task_id: uuid.UUID, body: TaskUpdate, response: Response, db: DbSession,
                user: CurrentUser, settings: AppSettings, if_match: IfMatch = None) -> Task:
    task = _load(db, user, task_id, write=True)
    _check_refs(db, user, body)
    task = service.update_task(db, task=task, data=body, actor=user,
                               expected_version=parse_if_match(if_match),
                               reminder_lead=_lead(settings))
    db.flush()
    response.headers["ETag"] = etag(task.version)
    return task


@router.delete("/tasks/{task_id}", status_code=204, summary="Soft-delete (restorable)")
def delete_task(task_id: uuid.UUID, db: DbSession, user: CurrentUser,
                if_match: IfMatch = None) -> Response:
    task = _load(db, user, task_id, write=True)
    service.delete_task(db, task=task, actor=user, expected_version=parse_if_match(if_match))
    return Response(status_code=204)


@router.post("/tasks/{task_id}/restore", response_model=TaskRead)
def restore_task(task_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Task:
    task = _load(db, user, task_id, write=True, include_deleted=True)
    return service.restore_task(db, task=task, actor=user)


@router.post("/tasks/{task_id}/complete", response_model=TaskRead, summary="Mark it done")
def complete_task(task_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Task:
    task = _load(db, user, task_id, write=True)
    return service.complete_task(db, task=task, actor=user)


@router.post("/tasks/{task_id}/reopen", response_model=TaskRead, summary="Open it again")
def reopen_task(task_id: uuid.UUID, db: DbSession, user: CurrentUser) -> Task:
    task = _load(db, user, task_id, write=True)
    return service.reopen_task(db, task=task, actor=user)


class AgendaWithActions(Agenda):
    next_best_actions: list[AgendaActionRead] = Field(
        default_factory=list, description="Your own customers' next best actions, most urgent "
        f"first (at most {AGENDA_ACTIONS}): from the stored predictions")


@router.get("/agenda", response_model=AgendaWithActions, tags=["tasks"],
            summary="Your day: overdue tasks, tasks due that day, meetings that day, and "
                    "the next best actions for your customers")
def agenda(db: DbSession, user: CurrentUser,
           day: Annotated[date | None, Query(alias="date", description=(
               "Default: today in your time zone"))] = None,
           time_zone: Annotated[TimeZoneName, Query(description=(
               "Default: your own (users.time_zone)"))] = None) -> AgendaWithActions:
    a = queries.agenda(db, user, day=day, time_zone=time_zone)
    actions = (intelligence_queries.agenda_actions(db, user.id, limit=AGENDA_ACTIONS)
               if scope_for(user, Permission.CONTACTS_VIEW) != "none" else [])
    return AgendaWithActions(
        date=a.day, time_zone=a.time_zone, starts_at=a.starts_at, ends_at=a.ends_at,
        overdue=[TaskRead.model_validate(t) for t in a.overdue],
        due_today=[TaskRead.model_validate(t) for t in a.due_today],
        meetings=[InteractionRead.model_validate(i) for i in a.meetings],
        next_best_actions=[AgendaActionRead.model_validate(x, from_attributes=True)
                           for x in actions])
