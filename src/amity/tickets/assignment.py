"""Who gets a ticket: manual assignment, or automatic per team (round robin, least loaded).

Only active team members who are not marked away (or whose away time has passed) are
candidates. The team's routing row is locked while choosing (``FOR UPDATE`` on PostgreSQL;
SQLite runs one writer at a time), so concurrent tickets see each other's choice: N tickets
over k agents give each N/k. Round robin walks members in id order after the last one chosen;
least loaded picks the fewest open tickets, ties broken the round-robin way.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from amity.auth.models import Team, User, team_members
from amity.core.clock import now
from amity.core.db import is_postgres
from amity.core.errors import ValidationFailed
from amity.tickets.models import OPEN_STATUSES, AgentStatus, TeamRouting, Ticket


def available_members(db: Session, team_id: uuid.UUID, at: datetime) -> list[uuid.UUID]:
    """Active members of the team who are not away, in id order."""
    away = and_(AgentStatus.away.is_(True),
                or_(AgentStatus.away_until.is_(None), AgentStatus.away_until > at))
    stmt = (select(User.id).join(team_members, team_members.c.user_id == User.id)
            .outerjoin(AgentStatus, AgentStatus.user_id == User.id)
            .where(team_members.c.team_id == team_id, User.is_active.is_(True),
                   or_(AgentStatus.user_id.is_(None), ~away))
            .order_by(User.id))
    return list(db.scalars(stmt))


def routing_for(db: Session, team_id: uuid.UUID, *, lock: bool) -> TeamRouting:
    """The team's routing row (made as 'manual' if missing), locked when ``lock``."""
    ins = (postgresql.insert(TeamRouting) if is_postgres(db)
           else sqlite.insert(TeamRouting)).values(
        team_id=team_id, mode="manual", updated_at=now())
    stmt = select(TeamRouting).where(TeamRouting.team_id == team_id)
    row = db.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        db.execute(ins.on_conflict_do_nothing(index_elements=["team_id"]))
        row = db.scalar((stmt.with_for_update() if lock else stmt)
                        .execution_options(populate_existing=True))
    assert row is not None
    return row


def _after(candidates: list[uuid.UUID], last: uuid.UUID | None) -> uuid.UUID:
    """The first candidate after ``last`` in id order, wrapping around."""
    if last is not None:
        for user_id in candidates:
            if str(user_id) > str(last):
                return user_id
    return candidates[0]


def _loads(db: Session, user_ids: list[uuid.UUID]) -> dict[uuid.UUID, int]:
    rows = db.execute(select(Ticket.assignee_id, func.count())
                      .where(Ticket.assignee_id.in_(user_ids),
                             Ticket.status.in_(OPEN_STATUSES), Ticket.deleted_at.is_(None))
                      .group_by(Ticket.assignee_id))
    counts = dict.fromkeys(user_ids, 0)
    counts.update({uuid.UUID(str(r[0])): int(r[1]) for r in rows})
    return counts


def choose_agent(db: Session, *, team_id: uuid.UUID, at: datetime,
                 mode: str | None = None) -> uuid.UUID | None:
    """Pick the next agent of the team (and remember it); None if nobody is available.

    ``mode`` overrides the team's routing ('manual' teams use round robin when asked)."""
    routing = routing_for(db, team_id, lock=True)
    chosen_mode = mode or routing.mode
    candidates = sorted(available_members(db, team_id, at), key=str)
    if not candidates:
        return None
    if chosen_mode == "least_loaded":
        loads = _loads(db, candidates)
        fewest = min(loads.values())
        candidates = [u for u in candidates if loads[u] == fewest]
    chosen = _after(candidates, routing.last_user_id)
    routing.last_user_id = chosen
    routing.updated_at = at
    return chosen


def check_assignee(db: Session, user_id: uuid.UUID | None, field: str = "assignee_id") -> None:
    if user_id is None:
        return
    user = db.get(User, user_id)
    if user is None or not user.is_active:
        raise ValidationFailed("user.not_found", "No such active user", field)


def check_team(db: Session, team_id: uuid.UUID | None, field: str = "team_id") -> None:
    if team_id is not None and db.get(Team, team_id) is None:
        raise ValidationFailed("team.not_found", "No such team", field)
