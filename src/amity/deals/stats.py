"""Sales statistics over closed deals and the stage history, as SQL aggregates.

Outcomes: deals won or lost with ``closed_at`` in the period, per group (owner, source,
pipeline, or the stage a deal was closed from), with the win rate won / (won + lost), the
average and median sales-cycle length in days (created_at -> closed_at of the won deals) and
the won amount per currency. Stages: from ``deal_stage_changes``, per stage, the deals that
entered it in the period, the average days a stay lasted (stays that have ended: the deal has
moved on), and the share of those deals that are won now. Medians use window functions
(row_number / count over the group), which SQLite >= 3.25 and PostgreSQL both have.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import BigInteger, Float, Select, and_, case, cast, func, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from amity.core.db import is_postgres
from amity.core.schemas import Output
from amity.deals.forecast import Visible, check_range, day_bounds, group_labels
from amity.deals.models import Deal, DealStageChange, Stage

StatsGroup = Literal["none", "owner", "source", "stage", "pipeline"]


@dataclass(frozen=True)
class StatsQuery:
    group_by: StatsGroup = "none"
    start: date | None = None  # inclusive, UTC days
    end: date | None = None

    def __post_init__(self) -> None:
        check_range(self.start, self.end)


class OutcomeRow(Output):
    group: str | None
    group_label: str | None
    won: int
    lost: int
    win_rate: float | None  # won / (won + lost), 4 places
    avg_cycle_days: float | None
    median_cycle_days: float | None
    won_amounts: dict[str, Decimal]  # currency -> amount; never added across currencies


class StageRow(Output):
    stage_id: uuid.UUID
    stage: str
    pipeline_id: uuid.UUID
    position: int
    kind: str
    entered: int  # deals that entered the stage in the period
    avg_days_in_stage: float | None  # over the stays that ended
    won_share: float | None  # of the deals that entered, the share won now


class SalesStats(Output):
    group_by: StatsGroup
    start: date | None
    end: date | None
    outcomes: list[OutcomeRow]
    stages: list[StageRow]


def days_between(db: Session, start: Any, end: Any) -> ColumnElement[Any]:
    """``end - start`` in days (fractional) on either database."""
    if is_postgres(db):
        return cast(func.date_part("epoch", end - start), Float) / 86400.0
    return func.julianday(end) - func.julianday(start)


def _closing_stage() -> Any:
    """The stage a deal left when it was closed: the from-stage of its latest move."""
    last = (select(DealStageChange.from_stage_id)
            .where(DealStageChange.deal_id == Deal.id)
            .order_by(DealStageChange.changed_at.desc(), DealStageChange.id.desc())
            .limit(1).correlate(Deal).scalar_subquery())
    return last


def _group_key(group_by: StatsGroup) -> Any:
    return {"none": None, "owner": Deal.owner_id, "source": Deal.source,
            "pipeline": Deal.pipeline_id, "stage": _closing_stage()}[group_by]


def _closed_deals(q: StatsQuery, visible: Visible, *columns: Any) -> Select[Any]:
    lo, hi = day_bounds(q.start, q.end)
    stmt = select(*columns).where(Deal.deleted_at.is_(None), Deal.status.in_(("won", "lost")),
                                  Deal.closed_at.is_not(None))
    if lo is not None:
        stmt = stmt.where(Deal.closed_at >= lo)
    if hi is not None:
        stmt = stmt.where(Deal.closed_at < hi)
    return visible(stmt)


def _outcomes(db: Session, q: StatsQuery, visible: Visible) -> list[OutcomeRow]:
    key = _group_key(q.group_by)
    won = Deal.status == "won"
    keyed = [key.label("g")] if key is not None else []
    counts = _closed_deals(q, visible, *keyed, Deal.currency.label("currency"),
                           case((won, 1), else_=0).label("won"),
                           case((won, 0), else_=1).label("lost"),
                           case((won, type_coerce(Deal.amount, BigInteger)), else_=0)
                           .label("amount")).subquery().c
    ck = [counts.g] if key is not None else []
    per_currency = db.execute(select(*ck, counts.currency, func.sum(counts.won).label("won"),
                                     func.sum(counts.lost).label("lost"),
                                     func.sum(counts.amount).label("amount"))
                              .group_by(*ck, counts.currency))
    # cycle lengths of the won deals: mean, and median as the mean of the middle one or two
    cyc = _closed_deals(q, visible, *keyed,
                        days_between(db, Deal.created_at, Deal.closed_at).label("days")
                        ).where(won).subquery()
    part = [cyc.c.g] if key is not None else []
    ranked = select(*part, cyc.c.days,
                    func.row_number().over(partition_by=part or None,
                                           order_by=cyc.c.days).label("rn"),
                    func.count().over(partition_by=part or None).label("n")).subquery().c
    rk = [ranked.g] if key is not None else []
    middle = ranked.rn.in_([(ranked.n + 1) // 2, (ranked.n + 2) // 2])
    cycles = {(r.g if key is not None else None): r for r in db.execute(
        select(*rk, func.avg(ranked.days).label("mean"),
               func.avg(case((middle, ranked.days))).label("median")).group_by(*rk))}

    rows: dict[Any, dict[str, Any]] = {}
    for r in per_currency:
        g = r.g if key is not None else None
        row = rows.setdefault(g, {"won": 0, "lost": 0, "won_amounts": {}})
        row["won"] += int(r.won)
        row["lost"] += int(r.lost)
        if int(r.won):
            row["won_amounts"][r.currency] = Decimal(int(r.amount)).scaleb(-2)
    labels = group_labels(db, q.group_by, set(rows)) if q.group_by != "source" else {}
    out = []
    for g, row in rows.items():
        c = cycles.get(g)
        decided = row["won"] + row["lost"]
        name = None if g is None else str(g)
        out.append(OutcomeRow(
            group=name, group_label=labels.get(name, name) if name else None,
            won=row["won"], lost=row["lost"],
            win_rate=round(row["won"] / decided, 4) if decided else None,
            avg_cycle_days=_days(c.mean) if c else None,
            median_cycle_days=_days(c.median) if c else None,
            won_amounts=dict(sorted(row["won_amounts"].items()))))
    out.sort(key=lambda o: (o.group_label is None, o.group_label or "", o.group or ""))
    return out


def _days(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


def _stages(db: Session, q: StatsQuery, visible: Visible) -> list[StageRow]:
    """Per stage: entries in the period, mean length of the stays that ended, share won."""
    lo, hi = day_bounds(q.start, q.end)
    following = func.lead(DealStageChange.changed_at).over(
        partition_by=DealStageChange.deal_id,
        order_by=(DealStageChange.changed_at, DealStageChange.id))
    moves = (select(DealStageChange.deal_id, DealStageChange.to_stage_id,
                    DealStageChange.changed_at, following.label("left_at"),
                    case((Deal.status == "won", 1), else_=0).label("won"))
             .join(Deal, Deal.id == DealStageChange.deal_id)
             .where(Deal.deleted_at.is_(None)))
    if lo is not None or hi is not None:
        # only the deals with an entry in the period; the stays themselves need every move
        window = [c for c in (DealStageChange.changed_at >= lo if lo else None,
                              DealStageChange.changed_at < hi if hi else None) if c is not None]
        inside = select(DealStageChange.deal_id).where(and_(*window))
        moves = moves.where(DealStageChange.deal_id.in_(inside))
    m = visible(moves).subquery().c
    entered_in = [c for c in (m.changed_at >= lo if lo else None,
                              m.changed_at < hi if hi else None) if c is not None]
    stay = days_between(db, m.changed_at, m.left_at)
    stmt = (select(Stage.id, Stage.name, Stage.pipeline_id, Stage.position, Stage.kind,
                   func.count(func.distinct(m.deal_id)).label("entered"),
                   func.avg(stay).label("stay"),
                   func.count(func.distinct(case((m.won == 1, m.deal_id)))).label("won"))
            .join(Stage, Stage.id == m.to_stage_id)
            .where(*entered_in)
            .group_by(Stage.id, Stage.name, Stage.pipeline_id, Stage.position, Stage.kind)
            .order_by(Stage.pipeline_id, Stage.position))
    return [StageRow(stage_id=r.id, stage=r.name, pipeline_id=r.pipeline_id,
                     position=r.position, kind=r.kind, entered=int(r.entered),
                     avg_days_in_stage=_days(r.stay),
                     won_share=round(int(r.won) / int(r.entered), 4) if r.entered else None)
            for r in db.execute(stmt)]


def sales_stats(db: Session, q: StatsQuery, *, visible: Visible) -> SalesStats:
    """Win rates, cycle lengths and won amounts per group, and the stage funnel, over the deals
    ``visible`` lets through (the reader's scope)."""
    return SalesStats(group_by=q.group_by, start=q.start, end=q.end,
                      outcomes=_outcomes(db, q, visible), stages=_stages(db, q, visible))
