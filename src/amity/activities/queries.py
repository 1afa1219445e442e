"""Reading interactions and tasks: filtered keyset lists within the reader's visibility, and a
user's agenda for one day in their time zone."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.orm import Session

from amity.activities.models import Interaction, InteractionParticipant, Task
from amity.activities.visibility import interaction_condition, task_condition
from amity.auth.models import User
from amity.core.clock import now
from amity.core.errors import ValidationFailed
from amity.core.pagination import Page, Sort, keyset, page_of

P = InteractionParticipant
INTERACTION_SORTS = {
    "-occurred_at": Sort("occurred_at", Interaction.occurred_at, descending=True),
    "occurred_at": Sort("occurred_at", Interaction.occurred_at),
}
TASK_SORTS = {
    "due_at": Sort("due_at", Task.due_sort),
    "-due_at": Sort("due_at", Task.due_sort, descending=True),
    "created_at": Sort("created_at", Task.created_at),
    "-created_at": Sort("created_at", Task.created_at, descending=True),
}


def _naive_check(**times: datetime | None) -> None:
    for name, value in times.items():
        if value is not None and value.tzinfo is None:
            raise ValidationFailed("datetime.naive", "Give times with a time zone, e.g. "
                                   "2026-01-31T00:00:00Z", name)


def _deleted(stmt: Select[Any], col: Any, deleted: str) -> Select[Any]:
    if deleted == "exclude":
        return stmt.where(col.is_(None))
    if deleted == "only":
        return stmt.where(col.is_not(None))
    return stmt


@dataclass
class InteractionFilters:
    contact_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None
    ticket_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    channels: list[str] = field(default_factory=list)
    direction: str | None = None
    thread_key: str | None = None
    occurred_after: datetime | None = None
    occurred_before: datetime | None = None
    deleted: str = "exclude"


def list_interactions(db: Session, user: User, *, filters: InteractionFilters, sort: str,
                      cursor: str | None, limit: int) -> Page[Interaction]:
    f = filters
    _naive_check(occurred_after=f.occurred_after, occurred_before=f.occurred_before)
    if sort not in INTERACTION_SORTS:
        raise ValidationFailed("sort.invalid", f"sort must be one of {sorted(INTERACTION_SORTS)}",
                               "sort")
    stmt = _deleted(select(Interaction).where(interaction_condition(db, user)),
                    Interaction.deleted_at, f.deleted)
    for who, col in ((f.contact_id, P.contact_id), (f.user_id, P.user_id)):
        if who is not None:
            stmt = stmt.where(exists(select(P.id).where(P.interaction_id == Interaction.id,
                                                        col == who)))
    equal: tuple[tuple[Any, Any], ...] = (
        (f.company_id, Interaction.company_id), (f.deal_id, Interaction.deal_id),
        (f.ticket_id, Interaction.ticket_id), (f.owner_id, Interaction.owner_id),
        (f.direction, Interaction.direction), (f.thread_key, Interaction.thread_key))
    for value, col in equal:
        if value is not None:
            stmt = stmt.where(col == value)
    if f.channels:
        stmt = stmt.where(Interaction.channel.in_(f.channels))
    if f.occurred_after is not None:
        stmt = stmt.where(Interaction.occurred_at >= f.occurred_after)
    if f.occurred_before is not None:
        stmt = stmt.where(Interaction.occurred_at < f.occurred_before)
    s = INTERACTION_SORTS[sort]
    rows = list(db.scalars(keyset(stmt, s, Interaction.id, cursor, limit)))
    return page_of(rows, s, limit, key=lambda i: i.occurred_at)


@dataclass
class TaskFilters:
    assignee_id: uuid.UUID | None = None
    owner_id: uuid.UUID | None = None
    statuses: list[str] = field(default_factory=list)
    due_before: datetime | None = None
    due_after: datetime | None = None
    overdue: bool | None = None
    contact_id: uuid.UUID | None = None
    company_id: uuid.UUID | None = None
    deal_id: uuid.UUID | None = None
    deleted: str = "exclude"


def _overdue() -> ColumnElement[bool]:
    return (Task.status == "open") & (Task.due_at < now())


def list_tasks(db: Session, user: User, *, filters: TaskFilters, sort: str,
               cursor: str | None, limit: int) -> Page[Task]:
    f = filters
    _naive_check(due_before=f.due_before, due_after=f.due_after)
    if sort not in TASK_SORTS:
        raise ValidationFailed("sort.invalid", f"sort must be one of {sorted(TASK_SORTS)}",
                               "sort")
    stmt = _deleted(select(Task).where(task_condition(db, user)), Task.deleted_at, f.deleted)
    for value, col in ((f.assignee_id, Task.assignee_id), (f.owner_id, Task.owner_id),
                       (f.contact_id, Task.contact_id), (f.company_id, Task.company_id),
                       (f.deal_id, Task.deal_id)):
        if value is not None:
            stmt = stmt.where(col == value)
    if f.statuses:
        stmt = stmt.where(Task.status.in_(f.statuses))
    if f.due_before is not None:
        stmt = stmt.where(Task.due_at < f.due_before)
    if f.due_after is not None:
        stmt = stmt.where(Task.due_at >= f.due_after)
    if f.overdue is not None:
        stmt = stmt.where(_overdue() if f.overdue else ~_overdue() | Task.due_at.is_(None))
    s = TASK_SORTS[sort]
    rows = list(db.scalars(keyset(stmt, s, Task.id, cursor, limit)))
    return page_of(rows, s, limit, key=lambda t: getattr(t, s.column.key))


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed("time_zone.invalid", f"'{name}' is not an IANA time zone such "
                               "as 'Europe/Paris'", "time_zone") from exc


@dataclass
class AgendaDay:
    day: date
    time_zone: str
    starts_at: datetime
    ends_at: datetime
    overdue: list[Task]
    due_today: list[Task]
    meetings: list[Interaction]


AGENDA_LIMIT = 200


def agenda(db: Session, user: User, *, day: date | None = None,
           time_zone: str | None = None) -> AgendaDay:
    """The user's day: open tasks assigned to them that are overdue (due before the day
    starts) or due during it, and the meetings they take part in that day (three queries)."""
    tz_name = time_zone or user.time_zone or "UTC"
    tz = zone(tz_name)
    day = day or now().astimezone(tz).date()
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    mine = (select(Task).where(Task.assignee_id == user.id, Task.status == "open",
                               Task.deleted_at.is_(None)))
    overdue = list(db.scalars(mine.where(Task.due_at < start)
                              .order_by(Task.due_at, Task.id).limit(AGENDA_LIMIT)))
    today = list(db.scalars(mine.where(Task.due_at >= start, Task.due_at < end)
                            .order_by(Task.due_at, Task.id).limit(AGENDA_LIMIT)))
    meetings = list(db.scalars(
        select(Interaction).join(P, P.interaction_id == Interaction.id)
        .where(P.user_id == user.id, P.channel == "meeting", P.active.is_(True),
               P.occurred_at >= start, P.occurred_at < end)
        .order_by(Interaction.occurred_at, Interaction.id).limit(AGENDA_LIMIT)))
    return AgendaDay(day=day, time_zone=tz_name, starts_at=start, ends_at=end,
                     overdue=overdue, due_today=today, meetings=meetings)
