"""Retention and churn from the per-customer order chain (``analytics_customer_orders``).

The definition is the live one (kpis.retention_blocks): a customer is active at an instant t
if they have a counted order in ``[t - N days, t)``; the retention of a period ``[lo, hi)`` is
the share of the customers active at ``lo`` who are still active at ``hi``.

Each chain row is one counted order with the time of the same customer's next one (same
currency and owner key). Every customer active at t has exactly one order that is their last
before t, so ``active(t)`` counts the rows with ``at`` in ``[t - N, t)`` and no next order
before t. The customers active at ``lo`` but no longer at ``hi`` each have exactly one last
order before ``hi``, older than ``hi - N``, with no next order before ``hi``: if it is before
``lo`` they were active at ``lo`` exactly when it is at or after ``lo - N``; if it falls in
``[lo, hi - N)`` (only when the period is longer than N days) they were active at ``lo`` when
they also have an order in ``[lo - N, lo)``, a key lookup for those few rows. So the four
numbers the dashboard needs (active at the previous period's start and at this one's, and how
many of each were kept) are sums over one index range, with no GROUP BY customer; so is the
number of distinct customers who bought in a period (``buyers``).

The chain is exact at any instant (no day grain, so any time zone); it exists per single owner
and over all owners. A team of several owners is a different chain (a customer's next order
may be another member's), so teams are counted live.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, exists, func, insert, literal, or_, select
from sqlalchemy.orm import Session, aliased

from amity.analytics.models import NIL_OWNER, customer_orders
from amity.commerce.models import COUNTED_STATUSES, Order

COLUMNS = ["order_id", "owner_key", "currency", "contact_id", "at", "next_at"]


def fill(db: Session, contacts: Sequence[uuid.UUID] | None = None) -> None:
    """Insert the chain rows of these customers (all customers if None), per owner and over
    all owners; the caller deleted their old rows."""
    where = [Order.deleted_at.is_(None), Order.status.in_(COUNTED_STATUSES),
             Order.contact_id.is_not(None)]
    if contacts is not None:
        where.append(Order.contact_id.in_(list(contacts)))
    key_type = customer_orders.c.owner_key.type
    for owner_key, partition in (
            (Order.owner_id, [Order.currency, Order.owner_id, Order.contact_id]),
            (literal(NIL_OWNER, key_type), [Order.currency, Order.contact_id])):
        following = func.lead(Order.ordered_at).over(
            partition_by=partition, order_by=[Order.ordered_at, Order.id])
        stmt = select(Order.id, owner_key, Order.currency, Order.contact_id, Order.ordered_at,
                      following).where(*where)
        if partition[1] is Order.owner_id:
            stmt = stmt.where(Order.owner_id.is_not(None))
        db.execute(insert(customer_orders).from_select(COLUMNS, stmt))


def owner_key(owners: Sequence[uuid.UUID] | None) -> uuid.UUID | None:
    """The chain that answers for these owners, or None (a team: counted live)."""
    if owners is None:
        return NIL_OWNER
    return owners[0] if len(owners) == 1 else None


def buyers(db: Session, *, currency: str, key: uuid.UUID, lo: datetime, hi: datetime) -> int:
    """Distinct customers with a counted order in ``[lo, hi)``: the rows that are their
    customer's last order before ``hi`` (no COUNT DISTINCT)."""
    c = customer_orders.c
    return int(db.scalar(select(func.count()).select_from(customer_orders).where(
        c.currency == currency, c.owner_key == key, c.at >= lo, c.at < hi,
        or_(c.next_at.is_(None), c.next_at >= hi))) or 0)


def counts(db: Session, *, currency: str, key: uuid.UUID, window_days: int,
           before_lo: datetime, lo: datetime, hi: datetime) -> tuple[int, int, int, int]:
    """(active at ``before_lo``, of them still active at ``lo``, active at ``lo``, of them
    still active at ``hi``), in one statement."""
    n = timedelta(days=window_days)
    c = customer_orders.c

    def last_before(t: datetime) -> Any:  # the row is its customer's last order before t
        return or_(c.next_at.is_(None), c.next_at >= t)

    def active(t: datetime) -> Any:
        return func.sum(case((and_(c.at >= t - n, c.at < t, last_before(t)), 1), else_=0))

    def lapsed(start: datetime, end: datetime) -> Any:
        """Active at ``start`` but no longer at ``end``, when the last order before ``end``
        is before ``start``."""
        cut = min(start, end - n)
        return func.sum(case((and_(c.at >= start - n, c.at < cut, last_before(end)), 1),
                             else_=0))

    def lapsed_in_gap(start: datetime, end: datetime) -> Any:
        """The same when that last order falls in ``[start, end - N)``: active at ``start``
        only with another order in ``[start - N, start)``."""
        if end - n <= start:
            return literal(0)
        other = aliased(customer_orders)
        earlier = exists().where(other.c.currency == c.currency,
                                 other.c.owner_key == c.owner_key,
                                 other.c.contact_id == c.contact_id,
                                 other.c.at >= start - n, other.c.at < start)
        return (select(func.count()).select_from(customer_orders)
                .where(c.currency == currency, c.owner_key == key, c.at >= start,
                       c.at < end - n, last_before(end), earlier).scalar_subquery())

    scan = (select(active(before_lo), lapsed(before_lo, lo), active(lo), lapsed(lo, hi))
            .where(c.currency == currency, c.owner_key == key, c.at >= before_lo - n,
                   c.at < max(lo, hi - n)).subquery())
    row = db.execute(select(*scan.c, lapsed_in_gap(before_lo, lo),
                            lapsed_in_gap(lo, hi))).one()
    a, lost_a, b, lost_b, gap_a, gap_b = (int(v or 0) for v in row)
    return a, a - lost_a - gap_a, b, b - lost_b - gap_b


__all__ = ["buyers", "counts", "fill", "owner_key"]
