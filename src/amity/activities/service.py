"""Writing tasks. Callers pass related records they have already loaded through the access
layer; a task is owned by whoever created it and assigned to whoever must do it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from amity.activities.models import TASK_PRIORITIES, Task
from amity.auth.models import User
from amity.core import audit
from amity.core.clock import now
from amity.core.errors import ValidationFailed
from amity.core.events import DomainEvent, publish


@dataclass(frozen=True)
class TaskChanged(DomainEvent):
    type = "task.changed"
    task_id: uuid.UUID
    action: str = "update"
    deal_id: uuid.UUID | None = None


def create_task(db: Session, *, title: str, actor: User, due_at: datetime | None = None,
                assignee_id: uuid.UUID | None = None, priority: str = "normal",
                description: str | None = None, contact_id: uuid.UUID | None = None,
                company_id: uuid.UUID | None = None, deal_id: uuid.UUID | None = None) -> Task:
    if not title.strip():
        raise ValidationFailed("task.title_required", "A task needs a title", "title")
    if priority not in TASK_PRIORITIES:
        raise ValidationFailed("task.priority", f"priority must be one of {TASK_PRIORITIES}",
                               "priority")
    if assignee_id is not None:
        assignee = db.get(User, assignee_id)
        if assignee is None or not assignee.is_active:
            raise ValidationFailed("user.not_found", "No such active user", "assignee_id")
    task = Task(id=uuid.uuid4(), title=title.strip(), description=description, due_at=due_at,
                priority=priority, assignee_id=assignee_id or actor.id, owner_id=actor.id,
                contact_id=contact_id, company_id=company_id, deal_id=deal_id,
                custom_fields={}, status="open")
    db.add(task)
    db.flush()
    audit.record(db, actor_id=actor.id, action="create", entity_type="task", entity_id=task.id,
                 changes={"title": [None, task.title]})
    publish(db, TaskChanged(task_id=task.id, action="create", deal_id=deal_id))
    return task


def complete_task(db: Session, *, task: Task, actor: User) -> Task:
    if task.status != "done":
        task.status, task.completed_at = "done", now()
        db.flush()
        audit.record(db, actor_id=actor.id, action="update", entity_type="task",
                     entity_id=task.id, changes={"status": ["open", "done"]})
        publish(db, TaskChanged(task_id=task.id, action="complete", deal_id=task.deal_id))
    return task
