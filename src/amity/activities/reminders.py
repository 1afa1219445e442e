"""Reminders and in-app notifications.

A task's reminder is delivered once: a notification for the assignee (its ``dedupe_key`` names
the task and the reminder time, and is unique) and ``reminded_at`` set, in one transaction; the
email that follows is sent once by its job (see ``amity.jobs.activities``). Moving the reminder
re-arms it under a new key. Important dates on contacts (``birthday`` and ``important_dates``)
notify the contact's owner ``lead_days`` before, on the owner's calendar day: a recurring date
once per year, a one-off date once.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.activities.models import Notification, Task
from amity.activities.queries import zone
from amity.auth.models import User
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.core.db import is_postgres
from amity.core.pagination import Page, Sort, keyset, page_of


def _insert_once(db: Session, rows: list[dict[str, Any]]) -> int:
    """Insert notifications, skipping any whose dedupe key exists; returns how many were new."""
    if not rows:
        return 0
    ins = postgresql.insert(Notification) if is_postgres(db) else sqlite.insert(Notification)
    result = db.execute(ins.values(rows).on_conflict_do_nothing(index_elements=["dedupe_key"])
                        .returning(Notification.id))
    return len(result.all())


def due_task_reminders(db: Session, *, at: datetime, limit: int = 1000
                       ) -> list[tuple[uuid.UUID, datetime]]:
    """(task id, reminder time) of open tasks whose reminder is due and not yet delivered."""
    rows = db.execute(select(Task.id, Task.reminder_at).where(
        Task.reminder_at <= at, Task.reminded_at.is_(None), Task.status == "open",
        Task.deleted_at.is_(None), Task.assignee_id.is_not(None))
        .order_by(Task.reminder_at).limit(limit)).all()
    return [(r[0], r[1]) for r in rows if r[1] is not None]


@dataclass(frozen=True)
class Reminder:
    task: Task
    assignee: User
    notification_id: uuid.UUID


def task_reminder_key(task_id: uuid.UUID, reminder_at: datetime) -> str:
    return f"task:{task_id}:{reminder_at.isoformat()}"


def deliver_task_reminder(db: Session, *, task_id: uuid.UUID,
                          reminder_at: datetime) -> Reminder | None:
    """Notify the assignee once and set ``reminded_at`` (without touching the task's version).
    None when the reminder is no longer due (done, deleted, moved). A second call for the same
    reminder (a retry after the email failed) finds its notification and returns it again."""
    task = db.get(Task, task_id)
    if (task is None or task.deleted_at is not None or task.status != "open"
            or task.reminder_at != reminder_at or task.assignee_id is None):
        return None
    assignee = db.get(User, task.assignee_id)
    if assignee is None or not assignee.is_active:
        return None
    key = task_reminder_key(task.id, reminder_at)
    if task.reminded_at is not None:
        done = db.scalar(select(Notification.id).where(Notification.dedupe_key == key))
        return Reminder(task=task, assignee=assignee, notification_id=done) if done else None
    at, nid = now(), uuid.uuid4()
    due = (f"due {task.due_at.astimezone(zone(assignee.time_zone)):%Y-%m-%d %H:%M} "
           f"({assignee.time_zone})" if task.due_at else "no due date")
    _insert_once(db, [{"id": nid, "user_id": assignee.id, "kind": "task_reminder",
                       "title": f"Reminder: {task.title}"[:300], "body": due,
                       "entity_type": "task", "entity_id": task.id, "dedupe_key": key,
                       "created_at": at, "read_at": None}])
    db.execute(update(Task).where(Task.id == task.id, Task.reminded_at.is_(None))
               .values(reminded_at=at, updated_at=Task.updated_at)
               .execution_options(synchronize_session="evaluate"))
    return Reminder(task=task, assignee=assignee, notification_id=nid)


def reminder_mail(task: Task, assignee: User, base_url: str) -> tuple[str, str]:
    """Subject and body of a task reminder email."""
    tz = zone(assignee.time_zone)
    due = (f"{task.due_at.astimezone(tz):%A %d %B %Y, %H:%M} ({assignee.time_zone})"
           if task.due_at else "no due date")
    body = (f"Hello {assignee.name},\n\nThis is your reminder for the task:\n\n"
            f"  {task.title}\n  Due: {due}\n  Priority: {task.priority}\n\n"
            f"{(task.description or '').strip()[:2000]}\n\n"
            f"{base_url.rstrip('/')}/api/v1/tasks/{task.id}\n")
    return f"Reminder: {task.title}"[:200], body


def _occurrence(when: date, recurring: bool, today: date) -> date:
    if not recurring:
        return when
    for year in (today.year, today.year + 1):
        try:
            occ = when.replace(year=year)
        except ValueError:  # 29 February in a common year: the 28th
            occ = date(year, 2, 28)
        if occ >= today:
            return occ
    return occ


def _dates_of(c: Any) -> list[tuple[str, str, date, bool]]:
    """(key, label, date, recurring) for the contact's birthday and important dates."""
    out = []
    if c.birthday is not None:
        out.append(("birthday", "Birthday", c.birthday, True))
    for item in c.important_dates or []:
        try:
            when = date.fromisoformat(str(item.get("date")))
        except (ValueError, AttributeError):
            continue
        label = str(item.get("label") or "Important date")
        key = hashlib.sha256(f"{label}|{when.isoformat()}".encode()).hexdigest()[:16]
        out.append((key, label, when, bool(item.get("recurring", True))))
    return out


def important_date_reminders(db: Session, *, lead_days: int, batch: int = 1000) -> int:
    """Notify owners of dates coming within ``lead_days`` of their own today; returns how
    many notifications were new (a date already notified this year is skipped)."""
    length = func.jsonb_array_length if is_postgres(db) else func.json_array_length
    stmt = (select(Contact.id, Contact.owner_id, Contact.first_name, Contact.last_name,
                   Contact.birthday, Contact.important_dates)
            .where(Contact.owner_id.is_not(None), Contact.deleted_at.is_(None),
                   Contact.erased_at.is_(None),
                   or_(Contact.birthday.is_not(None), length(Contact.important_dates) > 0))
            .order_by(Contact.id))
    owners: dict[uuid.UUID, tuple[bool, date]] = {}
    at, made, last = now(), 0, None
    while True:
        page = db.execute((stmt if last is None else stmt.where(Contact.id > last))
                          .limit(batch)).all()
        if not page:
            return made
        last = page[-1].id
        missing = {r.owner_id for r in page} - owners.keys()
        for u in db.scalars(select(User).where(User.id.in_(missing))) if missing else []:
            owners[u.id] = (u.is_active, at.astimezone(zone(u.time_zone)).date())
        rows = []
        for c in page:
            active, today = owners.get(c.owner_id, (False, at.date()))
            if not active:
                continue
            name = f"{c.first_name} {c.last_name}".strip() or "A contact"
            for key, label, when, recurring in _dates_of(c):
                occ = _occurrence(when, recurring, today)
                days = (occ - today).days
                if 0 <= days <= lead_days:
                    rows.append({"id": uuid.uuid4(), "user_id": c.owner_id,
                                 "kind": "important_date",
                                 "title": f"{name}: {label} on {occ:%d %B}"[:300],
                                 "body": "today" if days == 0 else f"in {days} day(s)",
                                 "entity_type": "contact", "entity_id": c.id,
                                 "dedupe_key": f"date:{c.id}:{key}:{occ.year}",
                                 "created_at": at, "read_at": None})
        made += _insert_once(db, rows)


_CREATED = Sort("created_at", Notification.created_at, descending=True)


def list_notifications(db: Session, user: User, *, unread: bool | None, cursor: str | None,
                       limit: int) -> Page[Notification]:
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread is not None:
        stmt = stmt.where(Notification.read_at.is_(None) if unread
                          else Notification.read_at.is_not(None))
    rows = list(db.scalars(keyset(stmt, _CREATED, Notification.id, cursor, limit)))
    return page_of(rows, _CREATED, limit, key=lambda n: n.created_at)


def mark_read(db: Session, user: User, *, ids: list[uuid.UUID] | None, everything: bool) -> int:
    """Mark the user's own notifications read (others' ids are ignored); returns how many."""
    stmt = update(Notification).where(Notification.user_id == user.id,
                                      Notification.read_at.is_(None))
    if not everything:
        stmt = stmt.where(Notification.id.in_(ids or []))
    result = db.execute(stmt.values(read_at=now()).returning(Notification.id),
                        execution_options={"synchronize_session": False})
    return len(result.all())
