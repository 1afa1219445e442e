"""Early-value signals: what customers do in their first days that goes with a high value.

Each customer's window starts at their first counted order. For every customer whose first
order is old enough to have a full ``horizon_days`` of history, SQL aggregates give, per
customer: orders, product categories, channels (order channels and conversation channels),
tickets opened and people referred inside the first ``window_days``, and the revenue of the
first ``horizon_days`` (the value). ``early_value_stats`` turns those into lifts with
bootstrap intervals; ``service_early_value.analyse_early_value`` stores the report.

The customers *inside* their window now (first order less than ``window_days`` ago) are the
segment to act on: ``window_customers`` lists those who show, or lack, a signal.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, Integer, Select, and_, func, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.functions import FunctionElement

from amity.activities.models import InteractionParticipant
from amity.commerce.models import COUNTED_STATUSES, Order, OrderLine
from amity.contacts.models import Contact
from amity.core.pagination import Page, Sort, keyset, page_of
from amity.tickets.models import Ticket

WINDOW_DAYS = 90
HORIZON_DAYS = 365
FEATURES = ("orders", "categories", "channels", "tickets", "referrals")


@dataclass(frozen=True)
class Signal:
    key: str
    feature: str
    threshold: int
    label: str  # completes "Customers who ... in their first 90 days"


def signals(min_orders: int = 2) -> tuple[Signal, ...]:
    return (
        Signal("categories_2", "categories", 2, "bought from 2 or more product categories"),
        Signal("categories_3", "categories", 3, "bought from 3 or more product categories"),
        Signal("repeat_orders", "orders", min_orders, f"placed {min_orders} or more orders"),
        Signal("multi_channel", "channels", 2,
               "used 2 or more channels (to buy or to talk to us)"),
        Signal("referral", "referrals", 1, "referred someone"),
        Signal("support_ticket", "tickets", 1, "opened a support ticket"),
    )


SIGNAL_KEYS = tuple(s.key for s in signals())


def signal_by_key(key: str, min_orders: int = 2) -> Signal:
    return next(s for s in signals(min_orders) if s.key == key)


class _DaysAfter(FunctionElement[Any]):
    """``start + days`` as a value comparable with ``t`` on both databases: an interval
    added on PostgreSQL; on SQLite (datetimes are text) both sides become Julian days."""

    inherit_cache = True
    name = "days_after"


@compiles(_DaysAfter)
def _days_after_pg(element: _DaysAfter, compiler: Any, **kw: Any) -> str:
    start, days = list(element.clauses)
    return (f"({compiler.process(start, **kw)} + "
            f"make_interval(0, 0, 0, {compiler.process(days, **kw)}))")


@compiles(_DaysAfter, "sqlite")
def _days_after_sqlite(element: _DaysAfter, compiler: Any, **kw: Any) -> str:
    start, days = list(element.clauses)
    return f"(julianday({compiler.process(start, **kw)}) + {compiler.process(days, **kw)})"


def within_days(t: Any, start: Any, days: int) -> ColumnElement[bool]:
    """SQL: start <= t < start + days (datetimes), on either database; needs no session, so
    workflow conditions can use it too."""
    return and_(t >= start, _AsDays(t) < _DaysAfter(start, literal(int(days), Integer)))


class _AsDays(FunctionElement[Any]):
    """``t`` as Julian days on SQLite (to compare with ``_DaysAfter``), itself elsewhere."""

    inherit_cache = True
    name = "as_days"


@compiles(_AsDays)
def _as_days_pg(element: _AsDays, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(next(iter(element.clauses)), **kw))


@compiles(_AsDays, "sqlite")
def _as_days_sqlite(element: _AsDays, compiler: Any, **kw: Any) -> str:
    return f"julianday({compiler.process(next(iter(element.clauses)), **kw)})"


def first_orders(at: datetime) -> Any:
    """Subquery: each live customer's first counted order before ``at``."""
    return (select(Order.contact_id.label("contact_id"),
                   func.min(Order.ordered_at).label("first_at"))
            .join(Contact, Contact.id == Order.contact_id)
            .where(Contact.deleted_at.is_(None), Order.status.in_(COUNTED_STATUSES),
                   Order.ordered_at < at)
            .group_by(Order.contact_id).cte("first_orders"))


def features_query(first: Any, *, at: datetime,
                   window_days: int = WINDOW_DAYS) -> Select[Any]:
    """(contact_id, first_at, orders, categories, channels, tickets, referrals) per customer
    of ``first``: five grouped subqueries left-joined, one statement."""
    f = first
    counted = and_(Order.status.in_(COUNTED_STATUSES), Order.ordered_at < at)
    in_window = within_days(Order.ordered_at, f.c.first_at, window_days)
    orders = (select(Order.contact_id.label("cid"), func.count(Order.id).label("n"))
              .join(f, f.c.contact_id == Order.contact_id).where(counted, in_window)
              .group_by(Order.contact_id).subquery("w_orders"))
    cats = (select(Order.contact_id.label("cid"),
                   func.count(func.distinct(OrderLine.category)).label("n"))
            .join(OrderLine, OrderLine.order_id == Order.id)
            .join(f, f.c.contact_id == Order.contact_id)
            .where(counted, in_window, OrderLine.category.is_not(None))
            .group_by(Order.contact_id).subquery("w_categories"))
    P = InteractionParticipant
    used = union_all(
        select(Order.contact_id.label("cid"), Order.channel.label("channel"))
        .join(f, f.c.contact_id == Order.contact_id).where(counted, in_window),
        select(P.contact_id.label("cid"), P.channel.label("channel"))
        .join(f, f.c.contact_id == P.contact_id)
        .where(P.active.is_(True), P.occurred_at < at,
               within_days(P.occurred_at, f.c.first_at, window_days))).subquery("w_used")
    channels = (select(used.c.cid, func.count(func.distinct(used.c.channel)).label("n"))
                .group_by(used.c.cid).subquery("w_channels"))
    tickets = (select(Ticket.contact_id.label("cid"), func.count(Ticket.id).label("n"))
               .join(f, f.c.contact_id == Ticket.contact_id)
               .where(Ticket.created_at < at,
                      within_days(Ticket.created_at, f.c.first_at, window_days))
               .group_by(Ticket.contact_id).subquery("w_tickets"))
    R = Contact.__table__.alias("referred")
    refs = (select(R.c.referred_by_id.label("cid"), func.count(R.c.id).label("n"))
            .join(f, f.c.contact_id == R.c.referred_by_id)
            .where(R.c.deleted_at.is_(None), R.c.created_at < at,
                   within_days(R.c.created_at, f.c.first_at, window_days))
            .group_by(R.c.referred_by_id).subquery("w_referrals"))
    stmt = select(f.c.contact_id, f.c.first_at)
    for name, sub in (("orders", orders), ("categories", cats), ("channels", channels),
                      ("tickets", tickets), ("referrals", refs)):
        stmt = stmt.add_columns(func.coalesce(sub.c.n, 0).label(name)).outerjoin(
            sub, sub.c.cid == f.c.contact_id)
    return stmt


def values_query(first: Any, *, at: datetime,
                 horizon_days: int = HORIZON_DAYS) -> Select[uuid.UUID | None, str, Decimal]:
    """(contact_id, currency, revenue) of each customer's first ``horizon_days``."""
    f = first
    stmt = (select(Order.contact_id, Order.currency, func.sum(Order.total))
            .join(f, f.c.contact_id == Order.contact_id)
            .where(Order.status.in_(COUNTED_STATUSES), Order.ordered_at < at,
                   within_days(Order.ordered_at, f.c.first_at, horizon_days))
            .group_by(Order.contact_id, Order.currency))
    return stmt


@dataclass
class Cohort:
    """The mature customers: one entry per customer, values in the reporting currency."""

    ids: list[uuid.UUID]
    features: dict[str, list[int]]
    values: list[Decimal]
    skipped: int  # customers left out: an order in a currency without a rate


def load_cohort(db: Session, *, at: datetime, factors: Any, window_days: int = WINDOW_DAYS,
                horizon_days: int = HORIZON_DAYS) -> Cohort:
    """Customers whose first order is at least ``horizon_days`` before ``at``; ``factors``
    maps a currency to a Decimal factor into the reporting currency (None: no rate)."""
    f = first_orders(at)
    cutoff = at - timedelta(days=horizon_days)
    feats = db.execute(features_query(f, at=at, window_days=window_days)
                       .where(f.c.first_at < cutoff).order_by(f.c.contact_id)).all()
    value: dict[uuid.UUID, Decimal] = {}
    missing: set[uuid.UUID] = set()
    for cid, currency, total in db.execute(values_query(f, at=at,
                                                        horizon_days=horizon_days)
                                           .where(f.c.first_at < cutoff)):
        factor = factors(str(currency))
        if cid is None:
            continue
        if factor is None:
            missing.add(cid)
            continue
        value[cid] = value.get(cid, Decimal(0)) + Decimal(total or 0) * factor
    kept = [r for r in feats if r[0] not in missing]
    return Cohort(ids=[r[0] for r in kept],
                  features={name: [int(r[2 + i]) for r in kept]
                            for i, name in enumerate(FEATURES)},
                  values=[value.get(r[0], Decimal(0)) for r in kept],
                  skipped=len(feats) - len(kept))


@dataclass
class WindowCustomer:
    id: uuid.UUID
    contact: Contact
    first_at: datetime
    days_left: int
    features: dict[str, int]


def window_customers(db: Session, visible: Any, *, signal: Signal, has: bool, at: datetime,
                     cursor: str | None, limit: int,
                     window_days: int = WINDOW_DAYS) -> Page[WindowCustomer]:
    """Customers inside their first ``window_days`` now who show (``has``) or lack the
    signal, newest first; ``visible`` restricts the statement to the contacts the reader
    may see (``auth.access.scoped``). One statement per page."""
    f = first_orders(at)
    feats = features_query(f, at=at, window_days=window_days).subquery("features")
    col = feats.c[signal.feature]
    stmt = visible(select(Contact, feats).join(feats, feats.c.contact_id == Contact.id)
                   .where(Contact.deleted_at.is_(None),
                          feats.c.first_at >= at - timedelta(days=window_days),
                          col >= signal.threshold if has else col < signal.threshold))
    sort = Sort(f"early_{signal.key}", cast(InstrumentedAttribute[Any], feats.c.first_at),
                descending=True)
    rows = db.execute(keyset(stmt, sort, cast(InstrumentedAttribute[Any], Contact.id),
                             cursor, limit)).all()
    items = []
    for r in rows:
        contact, first_at = r[0], r.first_at
        left = window_days - (at - first_at).days
        items.append(WindowCustomer(contact.id, contact, first_at, max(0, left),
                                    {n: int(getattr(r, n)) for n in FEATURES}))
    return page_of(items, sort, limit, lambda it: it.first_at)


def window_contact_ids(signal: Signal, *, has: bool, at: datetime,
                       window_days: int = WINDOW_DAYS) -> Select[Any]:
    """SQL: ids of the customers inside their window at ``at`` who show (or lack) the
    signal; workflows use it as a condition (``contacts.id IN (...)``)."""
    f = first_orders(at)
    feats = features_query(f, at=at, window_days=window_days).subquery("features")
    col = feats.c[signal.feature]
    return select(feats.c.contact_id).where(
        feats.c.first_at >= at - timedelta(days=window_days),
        col >= signal.threshold if has else col < signal.threshold)


def has_signal(features: dict[str, int], signal: Signal) -> bool:
    return features[signal.feature] >= signal.threshold

