"""Reading for the daily-work screens: a day plan (overdue, due that day, the next days,
meetings) for a user or their team, and the names of the records tasks and meetings concern.

Every list is one query whatever its length; names come in one query per kind of record, and
only for records the reader may see (a task assigned to you about someone you may not see
shows no name).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from amity.activities.models import Interaction, InteractionParticipant, Task
from amity.activities.queries import AGENDA_LIMIT, zone
from amity.activities.visibility import (
    interaction_condition,
    owner_condition,
    task_condition,
)
from amity.auth.access import Permission, scope_for, team_user_ids
from amity.auth.models import User
from amity.contacts.models import Contact
from amity.core.clock import now
from amity.deals.models import Deal

P = InteractionParticipant
UPCOMING_DAYS = 7


def may_see_team(db: Session, user: User) -> bool:
    """Whether "my team's" is offered: the user is in (or manages) a team and may see its
    records."""
    return (scope_for(user, Permission.CONTACTS_VIEW) in ("team", "all")
            and len(team_user_ids(db, user)) > 1)


@dataclass
class DayPlan:
    day: date
    time_zone: str
    starts_at: datetime
    ends_at: datetime
    team: bool
    overdue: list[Task]
    today: list[Task]
    upcoming: list[Task]
    meetings: list[Interaction]
    done_today: list[Task] = field(default_factory=list)


def day_plan(db: Session, user: User, *, day: date | None = None, team: bool = False,
             upcoming_days: int = UPCOMING_DAYS) -> DayPlan:
    """Open tasks assigned to the user (or, ``team``, to anyone in their team, as far as the
    user may see them): overdue, due on ``day`` in the user's time zone, due in the following
    ``upcoming_days``; tasks finished that day; and that day's meetings (five queries)."""
    tz = zone(user.time_zone)
    day = day or now().astimezone(tz).date()
    start = datetime.combine(day, time.min, tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)
    later = end + timedelta(days=upcoming_days)
    people = sorted(team_user_ids(db, user)) if team else [user.id]
    base = (select(Task).where(Task.assignee_id.in_(people), Task.deleted_at.is_(None),
                               task_condition(db, user))
            .order_by(Task.due_sort, Task.id).limit(AGENDA_LIMIT))
    open_ = base.where(Task.status == "open")
    overdue = list(db.scalars(open_.where(Task.due_at < start)))
    today = list(db.scalars(open_.where(Task.due_at >= start, Task.due_at < end)))
    upcoming = list(db.scalars(open_.where(Task.due_at >= end, Task.due_at < later)))
    done = list(db.scalars(base.where(Task.status == "done", Task.completed_at >= start,
                                      Task.completed_at < end)))
    meetings = list(db.scalars(
        select(Interaction).where(exists(select(P.id).where(
            P.interaction_id == Interaction.id, P.user_id.in_(people), P.channel == "meeting",
            P.active.is_(True), P.occurred_at >= start, P.occurred_at < end)),
            Interaction.deleted_at.is_(None), interaction_condition(db, user))
        .order_by(Interaction.occurred_at, Interaction.id).limit(AGENDA_LIMIT)))
    return DayPlan(day=day, time_zone=user.time_zone or "UTC", starts_at=start, ends_at=end,
                   team=team, overdue=overdue, today=today, upcoming=upcoming,
                   meetings=meetings, done_today=done)


@dataclass
class Names:
    contacts: dict[uuid.UUID, str] = field(default_factory=dict)
    deals: dict[uuid.UUID, str] = field(default_factory=dict)
    users: dict[uuid.UUID, str] = field(default_factory=dict)


def names_for(db: Session, reader: User, *, tasks: Iterable[Task] = (),
              interactions: Iterable[Interaction] = ()) -> Names:
    """Display names of the contacts, deals and users the rows name (at most three queries;
    none for a kind no row names)."""
    tasks, interactions = list(tasks), list(interactions)
    contact_ids = {t.contact_id for t in tasks} | {
        p.contact_id for i in interactions for p in i.participants}
    deal_ids = {t.deal_id for t in tasks} | {i.deal_id for i in interactions}
    user_ids = {t.assignee_id for t in tasks}
    out = Names()
    if wanted := {i for i in contact_ids if i is not None}:
        rows: Any = db.execute(select(Contact.id, Contact.first_name, Contact.last_name)
                               .where(Contact.id.in_(wanted), Contact.deleted_at.is_(None),
                                      owner_condition(db, reader, Contact.owner_id,
                                                      Permission.CONTACTS_VIEW)))
        out.contacts = {r.id: f"{r.first_name or ''} {r.last_name or ''}".strip() or "Unnamed"
                        for r in rows}
    if wanted := {i for i in deal_ids if i is not None}:
        rows = db.execute(select(Deal.id, Deal.name).where(
            Deal.id.in_(wanted), Deal.deleted_at.is_(None),
            owner_condition(db, reader, Deal.owner_id, Permission.DEALS_VIEW)))
        out.deals = {r.id: r.name for r in rows}
    if wanted := {i for i in user_ids if i is not None}:
        out.users = {r.id: r.name for r in db.execute(
            select(User.id, User.name).where(User.id.in_(wanted)))}
    return out
