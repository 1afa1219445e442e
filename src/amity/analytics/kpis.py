"""The KPI dashboard: every number one SQL aggregate over a period in the business time zone.

``dashboard`` computes each block (orders, retention, deals, activity, tickets) for the period
and for the period of the same length just before it, and pairs them with their definitions.
Money is summed on the scaled integers ``Fixed`` stores, so totals are exact; ratios are
rounded to 4 places, days and hours to 2. No block ever loops over rows in Python.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from sqlalchemy import and_, case, func, or_, select, text, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from amity.activities.models import Interaction
from amity.analytics import retention, rollups
from amity.analytics.days import day_of, midnight, split
from amity.analytics.definitions import KPIS
from amity.analytics.periods import Period
from amity.auth.models import User
from amity.commerce.models import COUNTED_STATUSES, Order
from amity.core.db import is_postgres
from amity.core.schemas import Output
from amity.deals.models import Deal
from amity.deals.stats import days_between
from amity.tickets.models import Ticket

Num = Decimal | None


@dataclass(frozen=True)
class Filters:
    """Who and what the numbers cover. ``owners`` None means everyone the reader may see."""

    currency: str
    owners: tuple[uuid.UUID, ...] | None = None
    pipeline_id: uuid.UUID | None = None
    window_days: int = 90  # N: how recently a customer must have bought to count as active


class Kpi(Output):
    key: str
    label: str
    unit: str
    better: Literal["up", "down"]
    definition: str
    value: Decimal | None
    previous: Decimal | None
    change: Decimal | None  # value - previous
    trend: Literal["up", "down", "flat"] | None


class Dashboard(Output):
    start: str
    end: str
    previous_start: str
    previous_end: str
    time_zone: str
    currency: str
    window_days: int
    # Order and activity sums are exact as of this instant (the roll-ups' last refresh);
    # None: every number was computed from the live tables.
    as_of: datetime | None = None
    kpis: list[Kpi]


def q(value: Any, places: str = "0.0001") -> Num:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(places), ROUND_HALF_UP)


def ratio(a: Any, b: Any, places: str = "0.0001") -> Num:
    if a is None or not b:
        return None
    return (Decimal(a) / Decimal(b)).quantize(Decimal(places), ROUND_HALF_UP)


def owned(column: Any, owners: Sequence[uuid.UUID] | None) -> list[ColumnElement[bool]]:
    return [] if owners is None else [column.in_(list(owners))]


def between(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.lo, column < period.hi)


def counted_orders(f: Filters) -> list[ColumnElement[bool]]:
    return [Order.deleted_at.is_(None), Order.status.in_(COUNTED_STATUSES),
            Order.currency == f.currency, *owned(Order.owner_id, f.owners)]


def order_sums(db: Session, lo: datetime, hi: datetime, f: Filters) -> tuple[int, Decimal]:
    """Counted orders and their revenue in ``[lo, hi)``, from the live table."""
    row = db.execute(select(func.count(), func.sum(Order.total))
                     .where(*counted_orders(f), Order.ordered_at >= lo,
                            Order.ordered_at < hi)).one()
    return int(row[0]), row[1] or Decimal("0.00")


def customer_revenue(db: Session, lo: datetime | None, hi: datetime, f: Filters) -> Decimal:
    """Revenue of the counted orders with a customer in ``[lo, hi)`` (live table)."""
    where = [*counted_orders(f), Order.contact_id.is_not(None), Order.ordered_at < hi]
    if lo is not None:
        where.append(Order.ordered_at >= lo)
    return db.scalar(select(func.sum(Order.total)).where(*where)) or Decimal("0.00")


def order_block(db: Session, p: Period, f: Filters, rolled: bool = False) -> dict[str, Num]:
    key = retention.owner_key(db, f.owners) if rolled else None
    if key is not None:
        customers = retention.buyers(db, currency=f.currency, key=key, lo=p.lo, hi=p.hi)
    else:
        customers = int(db.scalar(select(func.count(func.distinct(Order.contact_id)))
                                  .where(*counted_orders(f), between(Order.ordered_at, p)))
                        or 0)
    if rolled:  # one statement: the roll-ups' whole days and the live partial days
        days, edges = split(p.lo, p.hi)
        cut = midnight(day_of(p.hi))
        cents = rollups.raw(Order.total)
        reads = [*rollups.order_reads(days, p.hi, f.currency, f.owners, key),
                 select(func.sum(cents)).where(*counted_orders(f), Order.contact_id.is_not(None),
                                               Order.ordered_at >= cut,
                                               Order.ordered_at < p.hi).scalar_subquery()]
        # each partial day read once, as a plain range (an index-only scan)
        parts = [select(cents.label("cents")).where(*counted_orders(f), Order.ordered_at >= a,
                                                    Order.ordered_at < b) for a, b in edges]
        if parts:
            live = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
            row = db.execute(select(*reads, func.count(), func.sum(live.c.cents))
                             .select_from(live)).one()
        else:
            row = db.execute(select(*reads)).one()
        # whole days' orders, cents, customers' cents before hi's day, customers before hi;
        # customers' cents in hi's day; the partial days' orders and cents
        n = [int(v or 0) for v in row] + [0, 0]
        orders, revenue = n[0] + n[5], Decimal(n[1] + n[6]).scaleb(-2)
        life_revenue, life_customers = Decimal(n[2] + n[4]).scaleb(-2), n[3]
    else:
        orders, revenue = order_sums(db, p.lo, p.hi, f)
        life_revenue = customer_revenue(db, None, p.hi, f)
        life_customers = int(db.scalar(select(func.count(func.distinct(Order.contact_id)))
                                       .where(*counted_orders(f), Order.ordered_at < p.hi,
                                              Order.contact_id.is_not(None))) or 0)
    return {"revenue": revenue, "orders": Decimal(orders), "customers": Decimal(customers),
            "average_order_value": ratio(revenue, orders, "0.01"),
            "purchase_frequency": ratio(orders, customers),
            "historical_clv": ratio(life_revenue, life_customers,
                                    "0.01")}


def block(started: int, kept: int) -> dict[str, Num]:
    rate = ratio(kept, started)
    return {"customers_at_start": Decimal(started), "retention_rate": rate,
            "churn_rate": None if rate is None else Decimal(1) - rate}


def retention_blocks(db: Session, p: Period, f: Filters,
                     rolled: bool = False) -> tuple[dict[str, Num], dict[str, Num]]:
    """Retention in ``p`` and in the period before it, from one pass over the orders (or,
    ``rolled``, over the customers' order chain: analytics.retention, the same numbers).

    Active at an instant t: a counted order in [t - N days, t). The previous period ends where
    ``p`` starts, so its "active at end" is ``p``'s "active at start": three flags per
    customer (active at the previous start, at ``p``'s start, at ``p``'s end) answer both."""
    n = timedelta(days=f.window_days)
    before = p.previous()
    key = retention.owner_key(db, f.owners) if rolled else None
    if key is not None:
        counts = retention.counts(db, currency=f.currency, key=key, window_days=f.window_days,
                                  before_lo=before.lo, lo=p.lo, hi=p.hi)
        return block(counts[2], counts[3]), block(counts[0], counts[1])

    def active(t: datetime) -> Any:
        return func.max(case((and_(Order.ordered_at >= t - n, Order.ordered_at < t), 1),
                             else_=0))

    per_customer = (select(active(before.lo).label("a"), active(p.lo).label("b"),
                           active(p.hi).label("c"))
                    .where(*counted_orders(f), Order.contact_id.is_not(None),
                           Order.ordered_at >= before.lo - n, Order.ordered_at < p.hi)
                    .group_by(Order.contact_id).subquery())
    a, b, c = per_customer.c.a, per_customer.c.b, per_customer.c.c
    row = db.execute(select(func.sum(a), func.sum(case((a == 1, b), else_=0)),
                            func.sum(b), func.sum(case((b == 1, c), else_=0)))).one()
    return block(int(row[2] or 0), int(row[3] or 0)), block(int(row[0] or 0), int(row[1] or 0))


def deal_block(db: Session, p: Period, f: Filters) -> dict[str, Num]:
    scope = [Deal.deleted_at.is_(None), *owned(Deal.owner_id, f.owners),
             *([Deal.pipeline_id == f.pipeline_id] if f.pipeline_id else [])]
    won = and_(Deal.status == "won", between(Deal.closed_at, p))
    lost = and_(Deal.status == "lost", between(Deal.closed_at, p))
    row = db.execute(select(
        func.sum(case((won, 1), else_=0)), func.sum(case((lost, 1), else_=0)),
        func.avg(case((won, days_between(db, Deal.created_at, Deal.closed_at)), else_=None)),
        func.sum(case((and_(won, Deal.currency == f.currency), Deal.amount), else_=None)),
        func.sum(case((and_(won, Deal.currency == f.currency), 1), else_=0)),
        func.sum(case((between(Deal.created_at, p), 1), else_=0)),
        func.sum(case((and_(Deal.currency == f.currency,
                            Deal.expected_close_date >= p.start,
                            Deal.expected_close_date <= p.end), Deal.amount), else_=None)),
    ).where(*scope, or_(  # only the deals that count for something: index ranges, not a scan
        between(Deal.closed_at, p), between(Deal.created_at, p),
        and_(Deal.expected_close_date >= p.start, Deal.expected_close_date <= p.end)))).one()
    n_won, n_lost = int(row[0] or 0), int(row[1] or 0)
    won_amount = row[3] or Decimal("0.00")
    win_rate = ratio(n_won, n_won + n_lost)
    cycle = q(row[2], "0.01")
    avg_won = ratio(won_amount, row[4])
    velocity = None
    if win_rate is not None and avg_won is not None and cycle:
        velocity = ratio(Decimal(int(row[5] or 0)) * win_rate * avg_won, cycle, "0.01")
    forecast = row[6] or Decimal("0.00")
    return {"deals_won": Decimal(n_won), "win_rate": win_rate, "sales_cycle_days": cycle,
            "won_amount": won_amount, "pipeline_velocity": velocity,
            "forecast": forecast, "forecast_attainment": ratio(won_amount, forecast)}


def activity_counts(db: Session, lo: datetime, hi: datetime,
                    f: Filters) -> tuple[int, int, int]:
    """Calls, outbound emails and meetings in ``[lo, hi)``, from the live table."""
    ch = Interaction.channel
    row = db.execute(select(
        func.sum(case((ch == "call", 1), else_=0)),
        func.sum(case((and_(ch == "email", Interaction.direction == "outbound"), 1), else_=0)),
        func.sum(case((ch == "meeting", 1), else_=0)),
    ).where(Interaction.deleted_at.is_(None), Interaction.occurred_at >= lo,
            Interaction.occurred_at < hi, *owned(Interaction.owner_id, f.owners))).one()
    return int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)


def activity_block(db: Session, p: Period, f: Filters, rolled: bool = False) -> dict[str, Num]:
    if rolled:  # one statement: the roll-ups' whole days and the live partial days
        days, edges = split(p.lo, p.hi)
        when = Interaction.occurred_at
        # each partial day read once, as a plain range (an index-only scan)
        parts = [select(Interaction.channel.label("ch"), Interaction.direction.label("dir"))
                 .where(Interaction.deleted_at.is_(None), when >= a, when < b,
                        *owned(Interaction.owner_id, f.owners)) for a, b in edges]
        reads = rollups.activity_reads(days, f.owners)
        if parts:
            live = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
            ch = live.c.ch
            row = db.execute(select(*reads, *(
                func.sum(case((kind, 1), else_=0))
                for kind in (ch == "call", and_(ch == "email", live.c.dir == "outbound"),
                             ch == "meeting"))).select_from(live)).one()
        else:
            row = db.execute(select(*reads)).one()
        n = [int(v or 0) for v in row] + [0, 0, 0]
        calls, emails, meetings = n[0] + n[3], n[1] + n[4], n[2] + n[5]
    else:
        calls, emails, meetings = activity_counts(db, p.lo, p.hi, f)
    return {"calls_per_day": ratio(calls, p.days, "0.01"),
            "emails_sent": Decimal(emails), "meetings": Decimal(meetings)}


def ticket_block(db: Session, p: Period, f: Filters) -> dict[str, Num]:
    resolved = between(Ticket.resolved_at, p)
    answered = between(Ticket.first_responded_at, p)
    rated = and_(between(Ticket.satisfaction_at, p), Ticket.satisfaction_score.is_not(None))
    row = db.execute(select(
        func.sum(case((resolved, 1), else_=0)),
        func.avg(case((answered, days_between(db, Ticket.created_at, Ticket.first_responded_at)),
                      else_=None)),
        func.avg(case((resolved, days_between(db, Ticket.created_at, Ticket.resolved_at)),
                      else_=None)),
        func.sum(case((rated, Ticket.satisfaction_score), else_=None)),
        func.sum(case((rated, 1), else_=0)),
    ).where(Ticket.deleted_at.is_(None), *owned(Ticket.assignee_id, f.owners),
            or_(resolved, answered, between(Ticket.satisfaction_at, p)))).one()
    return {"tickets_resolved": Decimal(int(row[0] or 0)),
            "first_response_hours": q(None if row[1] is None else row[1] * 24, "0.01"),
            "resolution_hours": q(None if row[2] is None else row[2] * 24, "0.01"),
            "csat": ratio(row[3], row[4], "0.01")}


def rep_count(db: Session, f: Filters) -> int:
    if f.owners is not None:
        return len(f.owners)
    return int(db.scalar(select(func.count()).select_from(User)
                         .where(User.is_active.is_(True))) or 0)


def compute(db: Session, p: Period, f: Filters, reps: int, retention: dict[str, Num],
            rolled: bool = False) -> dict[str, Num]:
    values: dict[str, Num] = dict(retention)
    values.update(order_block(db, p, f, rolled))
    values.update(activity_block(db, p, f, rolled))
    for block in (deal_block, ticket_block):
        values.update(block(db, p, f))
    values["deals_won_per_rep"] = ratio(values["deals_won"], reps, "0.01")
    return values


def trend(value: Num, previous: Num) -> tuple[Num, Literal["up", "down", "flat"] | None]:
    if value is None or previous is None:
        return None, None
    change = value - previous
    return change, "up" if change > 0 else "down" if change < 0 else "flat"


def dashboard(db: Session, period: Period, f: Filters, *, live: bool = False) -> Dashboard:
    """The KPIs; order and activity sums come from the roll-ups once they are built (unless
    ``live``), exact as of their refresh (``as_of``), else from the live tables."""
    if is_postgres(db):
        # psycopg prepares a statement run five times, and PostgreSQL then may settle on one
        # generic plan for every period; the ranges differ a lot in size (a month, a quarter,
        # a partial day), so each run is planned for its own values (measured at 1,000,000
        # customers: a quarter took 800 ms with the generic plans, 300 ms without)
        db.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    reps = rep_count(db, f)
    before = period.previous()
    as_of = None if live else rollups.as_of(db)
    rolled = as_of is not None
    kept_now, kept_before = retention_blocks(db, period, f, rolled)
    now = compute(db, period, f, reps, kept_now, rolled)
    prev = compute(db, before, f, reps, kept_before, rolled)
    kpis = []
    for key, (label, unit, better, definition) in KPIS.items():
        change, direction = trend(now[key], prev[key])
        kpis.append(Kpi(key=key, label=label, unit=unit, better=better,
                        definition=definition.replace("N days", f"{f.window_days} days"),
                        value=now[key], previous=prev[key], change=change, trend=direction))
    return Dashboard(start=period.start.isoformat(), end=period.end.isoformat(),
                     previous_start=before.start.isoformat(), previous_end=before.end.isoformat(),
                     time_zone=str(period.tz), currency=f.currency, window_days=f.window_days,
                     as_of=as_of, kpis=kpis)


__all__ = ["Dashboard", "Filters", "Kpi", "dashboard"]
