"""Writing tasks. Callers pass related records they have already loaded through the access
layer; a task is owned by whoever created it and assigned to whoever must do it.

A task due at a time gets a reminder ``reminder_lead`` before it unless told otherwise
(``reminder_at`` given, or None for no reminder). Moving the reminder (or the due time of a
task whose reminder was the default) re-arms it: ``reminded_at`` is cleared.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from amity.activities.models import TASK_PRIORITIES, TASK_STATUSES, Task
from amity.activities.schemas import TaskUpdate
from amity.auth.models import User
from amity.companies.models import Company
from amity.contacts.models import Contact
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import PreconditionFailed, ValidationFailed
from amity.core.events import DomainEvent, publish
from amity.deals.models import Deal
from amity.deals.service import touch_deal

DEFAULT_REMINDER_LEAD = timedelta(minutes=15)
AUDITED = ("title", "description", "due_at", "status", "priority", "assignee_id", "contact_id",
           "company_id", "deal_id", "reminder_at", "owner_id")


class _Default:
    """``reminder_at`` not given: derive it from the due time."""


DEFAULT = _Default()


@dataclass(frozen=True)
class TaskChanged(DomainEvent):
    type = "task.changed"
    task_id: uuid.UUID
    action: str = "update"
    deal_id: uuid.UUID | None = None


def _check_refs(db: Session, task: Task) -> None:
    if task.assignee_id is not None:
        assignee = db.get(User, task.assignee_id)
        if assignee is None or not assignee.is_active:
            raise ValidationFailed("user.not_found", "No such active user", "assignee_id")
    for field, model, code in (("contact_id", Contact, "contact.not_found"),
                               ("company_id", Company, "company.not_found"),
                               ("deal_id", Deal, "deal.not_found")):
        ref = getattr(task, field)
        if ref is not None:
            row = db.get(model, ref)
            if row is None or row.deleted_at is not None:
                raise ValidationFailed(code, f"No such {field[:-3]}", field)


def default_reminder(due_at: datetime | None, lead: timedelta) -> datetime | None:
    return due_at - lead if due_at is not None else None


def create_task(db: Session, *, title: str, actor: User, due_at: datetime | None = None,
                assignee_id: uuid.UUID | None = None, priority: str = "normal",
                description: str | None = None, contact_id: uuid.UUID | None = None,
                company_id: uuid.UUID | None = None, deal_id: uuid.UUID | None = None,
                reminder_at: datetime | _Default | None = DEFAULT,
                reminder_lead: timedelta = DEFAULT_REMINDER_LEAD) -> Task:
    if not title.strip():
        raise ValidationFailed("task.title_required", "A task needs a title", "title")
    if priority not in TASK_PRIORITIES:
        raise ValidationFailed("task.priority", f"priority must be one of {TASK_PRIORITIES}",
                               "priority")
    remind = (default_reminder(due_at, reminder_lead) if isinstance(reminder_at, _Default)
              else reminder_at)
    task = Task(id=uuid.uuid4(), title=title.strip(), description=description, due_at=due_at,
                priority=priority, assignee_id=assignee_id or actor.id, owner_id=actor.id,
                contact_id=contact_id, company_id=company_id, deal_id=deal_id,
                custom_fields={}, status="open", reminder_at=remind)
    with db.no_autoflush:
        _check_refs(db, task)
    db.add(task)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="task", entity_id=task.id,
                 changes=audit.diff({}, {k: getattr(task, k) for k in AUDITED}))
    publish(db, TaskChanged(task_id=task.id, action="create", deal_id=deal_id))
    if deal_id is not None:
        touch_deal(db, deal_id=deal_id, at=now())
    return task


def _set_status(task: Task, status: str) -> None:
    if status not in TASK_STATUSES:
        raise ValidationFailed("task.status", f"status must be one of {TASK_STATUSES}",
                               "status")
    if status == task.status:
        return
    task.status = status
    task.completed_at = now() if status == "done" else None


def update_task(db: Session, *, task: Task, data: TaskUpdate, actor: User,
                expected_version: int | None = None,
                reminder_lead: timedelta = DEFAULT_REMINDER_LEAD) -> Task:
    """Change the fields sent. A stale version (If-Match) is refused with 412."""
    version = data.version if data.version is not None else expected_version
    if version is not None and version != task.version:
        raise PreconditionFailed()
    before: dict[str, Any] = {k: getattr(task, k) for k in AUDITED}
    sent = data.model_fields_set - {"version"}
    was_default = task.reminder_at == default_reminder(task.due_at, reminder_lead)
    with db.no_autoflush:
        for key in ("title", "description", "due_at", "priority", "assignee_id", "contact_id",
                    "company_id", "deal_id", "reminder_at"):
            if key in sent:
                value = getattr(data, key)
                if value is None and key in ("title", "priority"):
                    raise ValidationFailed(f"task.{key}_required", f"{key} cannot be empty",
                                           key)
                setattr(task, key, value)
        if "assignee_id" in sent and task.assignee_id is None:
            task.assignee_id = actor.id
        if "due_at" in sent and "reminder_at" not in sent and was_default:
            task.reminder_at = default_reminder(task.due_at, reminder_lead)
        if "status" in sent:
            if data.status is None:
                raise ValidationFailed("task.status_required", "status cannot be empty",
                                       "status")
            _set_status(task, data.status)
        _check_refs(db, task)
    if task.reminder_at != before["reminder_at"]:
        task.reminded_at = None  # a new reminder time: it will be delivered again
    changes = audit.diff(before, {k: getattr(task, k) for k in AUDITED})
    if not changes:
        return task
    task.updated_at = now()
    db.flush()
    audit.record(db, actor_id=actor.id, action="update", entity_type="task", entity_id=task.id,
                 changes=changes)
    publish(db, TaskChanged(task_id=task.id, action="update", deal_id=task.deal_id))
    return task


def _status_change(db: Session, task: Task, status: str, actor: User, action: str) -> Task:
    if task.status != status:
        before = task.status
        _set_status(task, status)
        task.updated_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="task",
                     entity_id=task.id, changes={"status": [before, status]})
        publish(db, TaskChanged(task_id=task.id, action=action, deal_id=task.deal_id))
        if task.deal_id is not None:  # completing the deal's task is activity on the deal
            touch_deal(db, deal_id=task.deal_id, at=now())
    return task


def complete_task(db: Session, *, task: Task, actor: User) -> Task:
    return _status_change(db, task, "done", actor, "complete")


def reopen_task(db: Session, *, task: Task, actor: User) -> Task:
    return _status_change(db, task, "open", actor, "reopen")


def delete_task(db: Session, *, task: Task, actor: User,
                expected_version: int | None = None) -> Task:
    if expected_version is not None and expected_version != task.version:
        raise PreconditionFailed()
    if task.deleted_at is None:
        task.deleted_at = now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="delete", entity_type="task",
                     entity_id=task.id)
        publish(db, TaskChanged(task_id=task.id, action="delete", deal_id=task.deal_id))
    return task


def restore_task(db: Session, *, task: Task, actor: User) -> Task:
    if task.deleted_at is not None:
        task.deleted_at = None
        db.flush()
        audit.record(db, actor_id=actor.id, action="restore", entity_type="task",
                     entity_id=task.id)
        publish(db, TaskChanged(task_id=task.id, action="restore", deal_id=task.deal_id))
    return task
