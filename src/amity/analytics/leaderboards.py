"""Leaderboards per rep over a period: deals won (count and amount), activities logged, tickets
resolved and CSAT. Three grouped aggregates (deals by owner, interactions by owner, tickets by
assignee) merged per user; the users listed are the reader's scope (or the chosen team).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from amity.activities.models import Interaction
from amity.analytics.kpis import between, owned, ratio
from amity.analytics.periods import Period
from amity.auth.models import User
from amity.core.schemas import Output
from amity.deals.models import Deal
from amity.tickets.models import Ticket


class LeaderRow(Output):
    user_id: uuid.UUID
    name: str
    deals_won: int
    won_amount: Decimal  # in the chosen currency
    activities: int  # interactions logged (owned) in the period
    tickets_resolved: int
    csat: Decimal | None  # average 1-5 score of the surveys answered in the period
    csat_responses: int


class Leaderboard(Output):
    start: str
    end: str
    currency: str
    rows: list[LeaderRow]


def leaderboard(db: Session, period: Period, *, currency: str,
                owners: Sequence[uuid.UUID] | None) -> Leaderboard:
    users_q = select(User.id, User.name).where(User.is_active.is_(True), *owned(User.id, owners))
    names: dict[uuid.UUID, str] = {r[0]: r[1] for r in db.execute(users_q)}
    won = and_(Deal.status == "won", between(Deal.closed_at, period))
    deals = {r[0]: r for r in db.execute(
        select(Deal.owner_id, func.count(),
               func.sum(case((Deal.currency == currency, Deal.amount), else_=None)))
        .where(Deal.deleted_at.is_(None), won, *owned(Deal.owner_id, owners),
               Deal.owner_id.is_not(None))
        .group_by(Deal.owner_id))}
    acts: dict[uuid.UUID | None, int] = {r[0]: int(r[1]) for r in db.execute(
        select(Interaction.owner_id, func.count())
        .where(Interaction.deleted_at.is_(None), between(Interaction.occurred_at, period),
               *owned(Interaction.owner_id, owners), Interaction.owner_id.is_not(None))
        .group_by(Interaction.owner_id))}
    rated = and_(between(Ticket.satisfaction_at, period), Ticket.satisfaction_score.is_not(None))
    tickets = {r[0]: r for r in db.execute(
        select(Ticket.assignee_id, func.sum(case((between(Ticket.resolved_at, period), 1),
                                                 else_=0)),
               func.sum(case((rated, Ticket.satisfaction_score), else_=None)),
               func.sum(case((rated, 1), else_=0)))
        .where(Ticket.deleted_at.is_(None), *owned(Ticket.assignee_id, owners),
               Ticket.assignee_id.is_not(None))
        .group_by(Ticket.assignee_id))}
    rows = []
    for uid, name in names.items():
        d, t = deals.get(uid), tickets.get(uid)
        rows.append(LeaderRow(
            user_id=uid, name=name, deals_won=int(d[1]) if d else 0,
            won_amount=(d[2] if d and d[2] is not None else Decimal("0.00")),
            activities=int(acts.get(uid, 0)),
            tickets_resolved=int(t[1] or 0) if t else 0,
            csat=ratio(t[2], t[3], "0.01") if t else None,
            csat_responses=int(t[3] or 0) if t else 0))
    rows.sort(key=lambda r: (-r.deals_won, -r.won_amount, -r.activities, r.name))
    return Leaderboard(start=period.start.isoformat(), end=period.end.isoformat(),
                       currency=currency, rows=rows)
